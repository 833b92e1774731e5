package template_test

import (
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
	"sigs.k8s.io/yaml"

	appsv1 "k8s.io/api/apps/v1"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is one FROM and the instructions after it.
type stage struct {
	from         string // the image
	name         string // the AS name
	instructions []instruction
}

// parseDockerfile splits a Dockerfile into stages. It knows what this
// template's Dockerfile uses: comments, line continuations, FROM ... AS.
func parseDockerfile(t *testing.T, src string) []stage {
	t.Helper()
	var stages []stage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			var st stage
			for f := range strings.FieldsSeq(in.args) {
				switch {
				case strings.HasPrefix(f, "--"):
				case st.from == "":
					st.from = f
				case strings.EqualFold(f, "AS"):
				default:
					st.name = f
				}
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Errorf("Dockerfile: %s before the first FROM", in.cmd)
			}
			return
		}
		st := &stages[len(stages)-1]
		st.instructions = append(st.instructions, in)
	}
	for line := range strings.SplitSeq(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if body, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// goImage matches a pinned official Go image: an exact release
// (golang:1.26.8, optionally with a variant and a digest).
var goImage = regexp.MustCompile(`^golang:(\d+\.\d+\.\d+)(-[a-z0-9]+)?(@sha256:[0-9a-f]{64})?$`)

// TestDockerfile checks the image build of each rendered service: a
// pinned Go release at least as new as go.mod asks, a static build of
// cmd/<name>, and a distroless nonroot final stage that runs it as the user
// the Deployment expects, exposing the ports the manifests use.
func TestDockerfile(t *testing.T) {
	for _, svc := range services(t) {
		t.Run(svc.name, func(t *testing.T) {
			name, s := svc.app.Name, svc.app.Settings
			if _, ok := svc.files["cmd/"+name+"/main.go"]; !ok {
				t.Fatalf("cmd/%s/main.go is not rendered; the Dockerfile builds it", name)
			}
			src := string(svc.file(t, "Dockerfile"))
			if !strings.HasPrefix(src, "# syntax=docker/dockerfile:1") {
				t.Error("Dockerfile: first line should be # syntax=docker/dockerfile:1 (RUN --mount needs BuildKit's syntax)")
			}
			stages := parseDockerfile(t, src)
			if len(stages) < 2 {
				t.Fatalf("Dockerfile has %d stages, want a build stage and a final one", len(stages))
			}
			build, final := stages[0], stages[len(stages)-1]

			t.Run("build stage", func(t *testing.T) {
				m := goImage.FindStringSubmatch(build.from)
				if m == nil {
					t.Fatalf("build stage FROM %q: want a pinned release such as golang:1.26.8-bookworm, not a floating tag", build.from)
				}
				mod, err := modfile.ParseLax("go.mod", svc.file(t, "go.mod"), nil)
				if err != nil {
					t.Fatal(err)
				}
				if mod.Go == nil {
					t.Fatal("go.mod has no go line")
				}
				if semver.Compare("v"+m[1], "v"+mod.Go.Version) < 0 {
					t.Errorf("build stage Go %s is older than go.mod's go %s: the build would need to download a toolchain", m[1], mod.Go.Version)
				}
				runs := strings.Join(build.all("RUN"), "\n")
				for _, want := range []struct{ text, why string }{
					{"CGO_ENABLED=0", "a static binary, which distroless/static can run"},
					{"-trimpath", "no build paths in the binary"},
					{"--mount=type=cache,target=/go/pkg/mod", "the module cache survives between builds"},
					{"-o /out/" + name + " ./cmd/" + name, "the service's command, built to where the final stage copies it from"},
				} {
					if !strings.Contains(runs, want.text) {
						t.Errorf("build stage RUN lacks %q (%s)", want.text, want.why)
					}
				}
			})

			t.Run("final stage", func(t *testing.T) {
				if final.from != "gcr.io/distroless/static-debian12:nonroot" {
					t.Errorf("final stage FROM %q, want gcr.io/distroless/static-debian12:nonroot", final.from)
				}
				if got, want := final.all("COPY"), []string{"--from=" + build.name + " /out/" + name + " /" + name}; !slices.Equal(got, want) {
					t.Errorf("final stage COPY %q, want %q", got, want)
				}
				users := final.all("USER")
				if len(users) != 1 || users[0] != "65532:65532" {
					t.Errorf("final stage USER %q, want 65532:65532 (distroless nonroot)", users)
				} else {
					uid, _ := strconv.ParseInt(strings.Split(users[0], ":")[0], 10, 64)
					checkRunAsUser(t, svc.file(t, "deploy/kubernetes/base/deployment.yaml"), uid)
				}
				var exposed []string
				for _, e := range final.all("EXPOSE") {
					exposed = append(exposed, strings.Fields(e)...)
				}
				for _, port := range []int{s.GRPCPort, s.HTTPPort, s.AdminPort} {
					if !slices.Contains(exposed, strconv.Itoa(port)) {
						t.Errorf("final stage does not EXPOSE %d (exposes %q)", port, exposed)
					}
				}
				if got, want := final.all("ENTRYPOINT"), []string{`["/` + name + `"]`}; !slices.Equal(got, want) {
					t.Errorf("final stage ENTRYPOINT %q, want %q (exec form, so the binary is PID 1 and gets SIGTERM)", got, want)
				}
				if run := final.all("RUN"); len(run) > 0 {
					t.Errorf("final stage RUN %q: distroless has no shell", run)
				}
			})

			t.Run("dockerignore", func(t *testing.T) {
				patterns := dockerignore(string(svc.file(t, ".dockerignore")))
				for _, p := range []string{"go.mod", "go.sum", "cmd/" + name + "/main.go", "internal/server/server.go", "gen/x.pb.go", "proto/x.proto"} {
					if pat, ok := ignored(patterns, p); ok {
						t.Errorf(".dockerignore pattern %q leaves %s out of the build context", pat, p)
					}
				}
				if _, ok := ignored(patterns, ".git/HEAD"); !ok {
					t.Error(".dockerignore does not leave out .git")
				}
			})
		})
	}
}

// checkRunAsUser checks that the Deployment runs its pods as uid, the
// image's user.
func checkRunAsUser(t *testing.T, manifest []byte, uid int64) {
	t.Helper()
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(manifest, &d); err != nil {
		t.Fatalf("deployment.yaml: %v", err)
	}
	sc := d.Spec.Template.Spec.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != uid {
		t.Errorf("the Deployment's pods do not run as the image's user %d", uid)
	}
}

// dockerignore returns the patterns of a .dockerignore file.
func dockerignore(src string) []string {
	var out []string
	for line := range strings.SplitSeq(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.TrimPrefix(path.Clean(line), "/"))
	}
	return out
}

// ignored reports the pattern that leaves p out of the build context: one
// that matches p or a folder above it. Exceptions (!pattern) are not used
// by the template and not supported.
func ignored(patterns []string, p string) (string, bool) {
	for _, pat := range patterns {
		for dir := p; dir != "." && dir != "/"; dir = path.Dir(dir) {
			if ok, _ := path.Match(pat, dir); ok {
				return pat, true
			}
		}
	}
	return "", false
}
