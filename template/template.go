// Package template is the service template: the files new-service renders
// into every service, as text/template sources in an embedded tree. Which
// file renders where, how often and who owns the result is decided by the
// table in generator/render; this package only holds the sources.
package template

import "embed"

// FS holds the template sources below files/, at paths that mirror the
// rendered service, each ending in .tmpl, and below partials/ the named
// templates ({{define "name"}}) that any of them may include.
//
//go:embed all:files partials
var FS embed.FS

// Version identifies the template's revision. It is recorded in every
// service's lock file; bump it whenever a rendered file changes, so that
// `new-service update` can tell a template upgrade from a proto change.
const Version = 7
