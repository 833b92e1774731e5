package cli

import (
	"os"

	"github.com/new-service/new-service/generator/model"
)

// startSettings reads the settings file given to new --settings over the
// defaults new would use: what the file leaves out keeps its default. A
// platform team's Backstage Template writes one (owner, system, lifecycle,
// description) so the service starts with them.
func startSettings(path string, opts model.Options) (*model.Settings, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	defaults := model.DefaultSettings(opts.Name, opts.Module)
	if opts.Settings != nil {
		defaults = *opts.Settings
	}
	s, err := model.ParseSettings(path, content, defaults)
	if err != nil {
		return nil, err
	}
	return &s, nil
}
