package model

import (
	"strings"

	modulepath "golang.org/x/mod/module"
)

// Description is the service's one line for the catalog and the README:
// the description setting, else one derived from the name.
func (a *App) Description() string {
	if a.Settings.Description != "" {
		return a.Settings.Description
	}
	if a.HasHTTP() {
		return a.Name + ": a gRPC service, with a REST gateway."
	}
	return a.Name + ": a gRPC service."
}

// GitHubRepo is the GitHub repository ("owner/name") and the service's
// folder in it ("" at its root, else ending in "/"), guessed from the module
// path as the runbook URL is; ok is false for a module not on github.com,
// whose repository new-service cannot know.
func (a *App) GitHubRepo() (slug, dir string, ok bool) {
	parts := strings.Split(a.Module, "/")
	if parts[0] != "github.com" || len(parts) < 3 {
		return "", "", false
	}
	majorless, _, _ := modulepath.SplitPathVersion(a.Module)
	dir = strings.TrimPrefix(strings.TrimPrefix(majorless, strings.Join(parts[:3], "/")), "/")
	if dir != "" {
		dir += "/"
	}
	return parts[1] + "/" + parts[2], dir, true
}

// GitHubSlug is the service's GitHub repository, "owner/name", for the
// catalog's github.com/project-slug; "" when the module is not on
// github.com.
func (a *App) GitHubSlug() string {
	slug, _, _ := a.GitHubRepo()
	return slug
}

// SourceLocation is the catalog's backstage.io/source-location of the
// service ("url:https://github.com/acme/orders/tree/main/"), or "" when the
// module is not on github.com: Backstage then derives it from the URL the
// catalog file was registered from.
func (a *App) SourceLocation() string {
	slug, dir, ok := a.GitHubRepo()
	if !ok {
		return ""
	}
	return "url:https://github.com/" + slug + "/tree/main/" + dir
}

// OpenAPIFile is where buf.gen.openapi.yaml writes the OpenAPI document of
// the proto file that declares s: gen/openapiv2/<file>.swagger.json.
func (s *Service) OpenAPIFile() string {
	return "gen/openapiv2/" + strings.TrimSuffix(s.File, ".proto") + ".swagger.json"
}
