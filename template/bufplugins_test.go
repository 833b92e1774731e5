package template_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/new-service/new-service/generator/model"
)

// TestBufPluginsFromSettings proves that the team's own plugins in
// new-service.yaml are appended to buf.gen.yaml's plugins as given, after
// the template's, and that without any the file is what it was.
func TestBufPluginsFromSettings(t *testing.T) {
	type plugin struct {
		Local []string `yaml:"local"`
		Out   string   `yaml:"out"`
		Opt   []string `yaml:"opt"`
	}
	parse := func(r rendered) []plugin {
		var f struct {
			Plugins []plugin `yaml:"plugins"`
		}
		if err := yaml.Unmarshal(r.file(t, "buf.gen.yaml"), &f); err != nil {
			t.Fatal(err)
		}
		return f.Plugins
	}
	plain := parse(ordersWith(t, "orders", nil))
	own := []model.BufPlugin{
		{Local: []string{"go", "tool", "-modfile=tools.go.mod", "protoc-gen-doc"}, Out: "gen/doc", Opt: []string{"markdown,docs.md"}},
		{Local: []string{"protoc-gen-x: y"}, Out: "gen/x"},
	}
	got := parse(ordersWith(t, "orders", func(s *model.Settings) { s.BufPlugins = own }))
	want := append([]plugin{}, plain...)
	for _, p := range own {
		want = append(want, plugin{Local: p.Local, Out: p.Out, Opt: p.Opt})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buf.gen.yaml plugins (-want +got):\n%s", diff)
	}
}
