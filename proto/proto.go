// Package proto embeds the reference API: the default input of
// `new-service new` and the source of the checked-in example in
// examples/orders. Its files sit at their import paths (acme/orders/v1/...).
package proto

import (
	"embed"
	"io/fs"
	"strings"
)

// FS holds the reference API's .proto files, rooted at their import root.
//
//go:embed acme
var FS embed.FS

// Dir is how the embedded root is named in messages.
const Dir = "(embedded reference API)"

// Settings is the reference API's new-service.yaml: the settings a service
// rendered from it starts with (which service its readiness follows),
// read like any user's settings file.
//
//go:embed new-service.yaml
var Settings []byte

// SettingsFile is how [Settings] is named in messages.
const SettingsFile = Dir + "/new-service.yaml"

// Files returns the import paths of every .proto file in [FS], sorted: the
// inputs of the reference API, as if its folder had been given to --proto.
func Files() []string {
	var files []string
	// FS is compiled in; walking it cannot fail.
	_ = fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".proto") {
			files = append(files, path)
		}
		return err
	})
	return files
}
