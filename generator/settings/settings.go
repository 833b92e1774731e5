// Package settings reads a service's settings file (new-service.yaml) over
// the defaults and checks it, with messages that name the file, the line
// and the fix. The settings themselves are [model.Settings]: what the
// templates see.
package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/new-service/new-service/generator/model"
)

// File is the name of the settings file at a service's root. It is
// the user's: new-service writes it once, with every setting and its
// default, and reads it on every update.
const File = "new-service.yaml"

// Parse reads a settings file's content over the defaults: a
// setting the file leaves out keeps its default. Unknown keys and values
// out of range are errors that name the file and line.
func Parse(name string, content []byte, defaults model.Settings) (model.Settings, error) {
	s := defaults
	dec := yaml.NewDecoder(bytes.NewReader(content))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var msgs []string
			for _, e := range te.Errors {
				msgs = append(msgs, yamlError(name, e))
			}
			return model.Settings{}, errors.New(strings.Join(msgs, "\n"))
		}
		return model.Settings{}, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := Validate(s); err != nil {
		return model.Settings{}, Locate(name, content, err)
	}
	return s, nil
}

// Locate prefixes err, an error of [Validate] or [CheckAgainst], with the
// settings file name and the line of content (the file's content) that
// sets what err is about: the map entry at fault when there is one, else
// the setting.
func Locate(name string, content []byte, err error) error {
	var se *settingError
	line := 0
	if errors.As(err, &se) {
		line = lineOf(content, se.key)
		if se.entry != "" && line > 0 {
			if l := entryLine(content, line, se.entry); l > 0 {
				line = l
			}
		}
	}
	if line > 0 {
		return fmt.Errorf("%s:%d: %w", name, line, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

var unknownFieldRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)
var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError rewrites a YAML decoding error as file:line: message, with the
// fix for an unknown setting.
func yamlError(name, e string) string {
	if m := unknownFieldRE.FindStringSubmatch(e); m != nil {
		return fmt.Sprintf("%s:%s: unknown setting %q; the settings are %s", name, m[1], m[2], strings.Join(settingNames(), ", "))
	}
	if m := lineRE.FindStringSubmatch(e); m != nil {
		return fmt.Sprintf("%s:%s: %s", name, m[1], m[2])
	}
	return name + ": " + e
}

// settingNames lists the keys of a settings file.
func settingNames() []string {
	var names []string
	t := reflect.TypeFor[model.Settings]()
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			names = append(names, tag)
		}
	}
	return names
}

// settingError is a setting with a bad value: key is the top-level
// setting, entry the key of its map entry at fault ("" for the setting as
// a whole).
type settingError struct {
	key, entry, msg string
}

func (e *settingError) Error() string { return e.key + ": " + e.msg }

// lineOf finds the line a top-level key is set on.
func lineOf(content []byte, key string) int {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*:`)
	loc := re.FindIndex(content)
	if loc == nil {
		return 0
	}
	return bytes.Count(content[:loc[0]], []byte("\n")) + 1
}

// entryLine finds the line, after the line from, that sets the map entry
// key (indented, quoted or not).
func entryLine(content []byte, from int, key string) int {
	re := regexp.MustCompile(`^\s+["']?` + regexp.QuoteMeta(key) + `["']?\s*:`)
	for i, line := range bytes.Split(content, []byte("\n")) {
		if i+1 > from && re.Match(line) {
			return i + 1
		}
	}
	return 0
}

// Backstage's rules for an entity name (at most 63 characters) and a
// namespace (a DNS label).
var (
	entityNameRE      = regexp.MustCompile(`^([A-Za-z0-9]+[-_.])*[A-Za-z0-9]+$`)
	entityNamespaceRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	entityKindRE      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
)

// validEntityName reports whether s is a Backstage entity name.
func validEntityName(s string) bool { return len(s) <= 63 && entityNameRE.MatchString(s) }

// validEntityRef reports whether s is a Backstage entity reference,
// [kind:][namespace/]name, as owner and system take.
func validEntityRef(s string) bool {
	if kind, rest, ok := strings.Cut(s, ":"); ok {
		if !entityKindRE.MatchString(kind) {
			return false
		}
		s = rest
	}
	if ns, rest, ok := strings.Cut(s, "/"); ok {
		if len(ns) > 63 || !entityNamespaceRE.MatchString(ns) {
			return false
		}
		s = rest
	}
	return validEntityName(s)
}

var dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

var quantityRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)

// Validate reports the first setting of s whose value cannot work, and
// how to fix it.
func Validate(s model.Settings) error {
	bad := func(key, format string, args ...any) error {
		return &settingError{key: key, msg: fmt.Sprintf(format, args...)}
	}
	// badEntry is bad for the entry of a map setting.
	badEntry := func(key, entry, format string, args ...any) error {
		return &settingError{key: key, entry: entry, msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case s.Objective <= 0 || s.Objective >= 100:
		return bad("objective", "%v is not a percentage between 0 and 100 (exclusive); e.g. 99.9", s.Objective)
	case s.ErrorRate <= 0 || s.ErrorRate >= 1:
		return bad("error_rate", "%v is not a ratio between 0 and 1; e.g. 0.05 for 5%%", s.ErrorRate)
	case s.DeadlineExceededRate <= 0 || s.DeadlineExceededRate >= 1:
		return bad("deadline_exceeded_rate", "%v is not a ratio between 0 and 1; e.g. 0.01", s.DeadlineExceededRate)
	case s.LatencyP99 <= 0 || s.LatencyP99.Seconds() >= model.LatencyBuckets[len(model.LatencyBuckets)-1]:
		return bad("latency_p99", "%v must be above 0 and below %vs, the largest latency bucket", s.LatencyP99, model.LatencyBuckets[len(model.LatencyBuckets)-1])
	case s.Replicas < 1:
		return bad("replicas", "%d: at least 1 (3 or more to survive a node and a rollout)", s.Replicas)
	case s.MaxReplicas < s.Replicas:
		return bad("max_replicas", "%d is below replicas (%d)", s.MaxReplicas, s.Replicas)
	case s.CPUTarget < 1 || s.CPUTarget > 100:
		return bad("cpu_target", "%d is not a percentage of the CPU request between 1 and 100", s.CPUTarget)
	case s.DrainDelay < 0 || s.ShutdownGrace <= 0 || s.MaxConnectionAge <= 0 || s.DefaultDeadline < 0:
		return bad("shutdown_grace", "drain_delay and default_deadline cannot be negative; shutdown_grace and max_connection_age must be positive")
	case s.Image == "":
		return bad("image", "empty; the container image without a tag, e.g. registry.example.com/orders")
	case s.Namespace == "":
		return bad("namespace", "empty; the Kubernetes namespace, e.g. default")
	case !validEntityRef(s.Owner):
		return bad("owner", "%q is not a Backstage entity reference; e.g. team-payments or group:default/team-payments", s.Owner)
	case s.System != "" && !validEntityRef(s.System):
		return bad("system", "%q is not a Backstage entity reference; e.g. payments, or leave it out", s.System)
	case !validEntityName(s.Lifecycle):
		return bad("lifecycle", "%q is not a lifecycle stage; e.g. experimental, production or deprecated", s.Lifecycle)
	case strings.ContainsAny(s.Description, "\n\r"):
		return bad("description", "one line only; the README is for more")
	}
	// Slices in the file's order, not maps: the same bad file always gets
	// the same message.
	for _, q := range []struct{ key, v string }{
		{"cpu_request", s.CPURequest}, {"cpu_limit", s.CPULimit}, {"memory_request", s.MemoryRequest},
		{"memory_limit", s.MemoryLimit}, {"ephemeral_storage_request", s.EphemeralRequest}, {"ephemeral_storage_limit", s.EphemeralLimit},
	} {
		if !quantityRE.MatchString(q.v) {
			return bad(q.key, "%q is not a Kubernetes quantity; e.g. 100m, 1, 128Mi", q.v)
		}
	}
	ports := map[int]string{}
	for _, p := range []struct {
		key string
		n   int
	}{{"grpc_port", s.GRPCPort}, {"http_port", s.HTTPPort}, {"admin_port", s.AdminPort}} {
		if p.n < 1 || p.n > 65535 {
			return bad(p.key, "%d is not a port", p.n)
		}
		if other, dup := ports[p.n]; dup {
			return bad(p.key, "%d is also %s; the three listeners need three ports", p.n, other)
		}
		ports[p.n] = p.key
	}
	if s.TLS.Secret != "" && !dnsSubdomainRE.MatchString(s.TLS.Secret) {
		return bad("tls", "secret %q is not a Kubernetes object name; e.g. orders-tls", s.TLS.Secret)
	}
	if s.TLS.ClientCA && s.TLS.Secret == "" {
		return bad("tls", "client_ca needs secret: the Secret whose ca.crt verifies client certificates")
	}
	for _, m := range slices.Sorted(maps.Keys(s.Authz)) {
		ids := s.Authz[m]
		if !strings.Contains(m, "/") || strings.HasPrefix(m, "/") {
			return badEntry("authz", m, "%q: key a method as pkg.Service/Method", m)
		}
		if len(ids) == 0 {
			return badEntry("authz", m, "%q: list at least one caller identity (a SPIFFE ID such as spiffe://example.org/ns/default/sa/web, or a certificate common name), or remove the method", m)
		}
		for _, id := range ids {
			if strings.TrimSpace(id) == "" {
				return badEntry("authz", m, "%q: an empty identity; write the SPIFFE ID or common name", m)
			}
		}
	}
	if len(s.Authz) > 0 && !s.TLS.ClientCA {
		// Identities come only from verified client certificates: without
		// mTLS every listed method would refuse every caller.
		return bad("authz", "needs mTLS: set tls.secret and tls.client_ca: true, so that callers present the certificates whose identities the allow-list names")
	}
	for i, p := range s.BufPlugins {
		if len(p.Local) == 0 || p.Local[0] == "" {
			return bad("buf_plugins", "entry %d: local is empty; give the plugin's command, e.g. [go, tool, -modfile=tools.go.mod, protoc-gen-doc]", i+1)
		}
		if out := path.Clean(p.Out); p.Out == "" || path.IsAbs(out) || out == "." || out == ".." || strings.HasPrefix(out, "../") || strings.Contains(p.Out, "\\") {
			return bad("buf_plugins", "entry %d: out %q must be a folder inside the service, such as gen/doc", i+1, p.Out)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(s.MethodDeadlines)) {
		d := s.MethodDeadlines[m]
		if !strings.Contains(m, "/") || strings.HasPrefix(m, "/") {
			return badEntry("method_deadlines", m, "%q: key a method as pkg.Service/Method", m)
		}
		if d <= 0 {
			return badEntry("method_deadlines", m, "%q: %v must be positive", m, d)
		}
	}
	return nil
}

// CheckAgainst reports settings of s that name services or methods the
// protos (app) do not have.
func CheckAgainst(s model.Settings, app *model.App) error {
	methods := map[string]bool{}
	services := map[string]bool{}
	for _, svc := range app.Services {
		services[svc.FullName] = true
		for _, m := range svc.Methods {
			methods[svc.FullName+"/"+m.Name] = true
		}
	}
	if s.MainService != "" && !services[s.MainService] {
		return &settingError{key: "main_service", msg: fmt.Sprintf("%q is not a service of the protos", s.MainService)}
	}
	for _, m := range slices.Sorted(maps.Keys(s.MethodDeadlines)) {
		if !methods[m] {
			return &settingError{key: "method_deadlines", entry: m, msg: fmt.Sprintf("%q is not a method of the protos; key a method as pkg.Service/Method", m)}
		}
	}
	for _, m := range slices.Sorted(maps.Keys(s.Authz)) {
		if !methods[m] {
			return &settingError{key: "authz", entry: m, msg: fmt.Sprintf("%q is not a method of the protos; key a method as pkg.Service/Method", m)}
		}
	}
	return nil
}
