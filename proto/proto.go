// Package proto embeds the reference API: the default input of
// `new-service new` and the source of the checked-in example in
// examples/orders. Its files sit at their import paths (acme/orders/v1/...).
package proto

import "embed"

// FS holds the reference API's .proto files, rooted at their import root.
//
//go:embed acme
var FS embed.FS

// Dir is how the embedded root is named in messages.
const Dir = "(embedded reference API)"
