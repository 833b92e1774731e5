package cli

import (
	"os"

	"github.com/new-service/new-service/generator/model"
	settingsfile "github.com/new-service/new-service/generator/settings"
)

// startSettings reads the settings file given to new --settings over the
// defaults new would use: what the file leaves out keeps its default. A
// platform team's Backstage Template writes one (owner, system, lifecycle,
// description) so the service starts with them. It also returns the
// file's content, for the line of later messages about it.
func startSettings(path string, base *model.Settings, n names) (*model.Settings, []byte, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	defaults := model.DefaultSettings(n.Name, n.Module)
	if base != nil {
		defaults = *base
	}
	s, err := settingsfile.Parse(path, content, defaults)
	if err != nil {
		return nil, nil, err
	}
	return &s, content, nil
}
