// Package pipeline runs new-service's pure stages in order: load the protos
// ([load]), build the model the templates see ([model]), derive the test
// fixtures ([fixtures]) and render the service's files ([render]). It is the one place the stages are assembled;
// new, update, check and the tests of the template and the example all call
// [Generate], so they cannot drift apart. Nothing here touches the disk:
// writing the files is [github.com/new-service/new-service/generator/write]'s
// job.
package pipeline

import (
	"context"

	"github.com/new-service/new-service/generator/fixtures"
	"github.com/new-service/new-service/generator/load"
	"github.com/new-service/new-service/generator/model"
	"github.com/new-service/new-service/generator/render"
	settingsfile "github.com/new-service/new-service/generator/settings"
	refproto "github.com/new-service/new-service/proto"
)

// Input is everything a service is rendered from.
type Input struct {
	// Protos are the service's .proto files and their import roots.
	Protos load.Input
	// Name is the service's name (a DNS label); Module its Go module path.
	Name, Module string
	// Generator is new-service's version, recorded in the service.
	Generator string
	// Settings are the operational choices, from [ReadSettings]; nil means
	// every default.
	Settings *model.Settings
	// SettingsFile is where Settings were read from, for messages about
	// them; "" when they are the defaults. SettingsContent is its content,
	// for the line a message names.
	SettingsFile    string
	SettingsContent []byte
}

// Output is a rendered service: its model, its tests' fixtures and its
// files.
type Output struct {
	App      *model.App
	Fixtures *fixtures.Fixtures
	Files    render.Files
}

// Generate loads the protos, builds the model, checks the settings against
// it, computes the test fixtures and renders every file.
func Generate(ctx context.Context, in Input) (*Output, error) {
	res, err := load.Load(ctx, in.Protos)
	if err != nil {
		return nil, err
	}
	settings := model.DefaultSettings(in.Name, in.Module)
	if in.Settings != nil {
		settings = *in.Settings
	}
	app, err := model.Build(res, model.Options{Name: in.Name, Module: in.Module, Settings: &settings, Generator: in.Generator})
	if err != nil {
		return nil, err
	}
	if err := settingsfile.CheckAgainst(settings, app); err != nil {
		if in.SettingsFile != "" {
			return nil, settingsfile.Locate(in.SettingsFile, in.SettingsContent, err)
		}
		return nil, err
	}
	fx, err := fixtures.For(res, app)
	if err != nil {
		return nil, err
	}
	files, err := render.Render(app, fx)
	if err != nil {
		return nil, err
	}
	return &Output{App: app, Fixtures: fx, Files: files}, nil
}

// ReadSettings returns the settings of the service name (module path
// module): the defaults, overridden by what the settings file's content
// sets (nil content: no file). file names the file in messages.
func ReadSettings(name, module, file string, content []byte) (model.Settings, error) {
	s := model.DefaultSettings(name, module)
	if content == nil {
		return s, nil
	}
	return settingsfile.Parse(file, content, s)
}

// Reference returns the input of the embedded reference API (proto/) as the
// service name with module path module, with the reference API's own
// settings file (proto/new-service.yaml).
func Reference(name, module, generator string) (Input, error) {
	s, err := ReadSettings(name, module, refproto.SettingsFile, refproto.Settings)
	if err != nil {
		return Input{}, err
	}
	return Input{
		Protos:          load.Input{Roots: []load.Root{{FS: refproto.FS, Dir: refproto.Dir}}, Files: refproto.Files()},
		Name:            name,
		Module:          module,
		Generator:       generator,
		Settings:        &s,
		SettingsFile:    refproto.SettingsFile,
		SettingsContent: refproto.Settings,
	}, nil
}
