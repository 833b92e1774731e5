// Command new-service generates production gRPC services in Go from a
// .proto API: a grpc-go server with health and a graceful drain, a REST
// gateway, Kubernetes manifests and alert rules, all tested.
//
//	new-service new [--proto PATH]... [-I DIR]... [--module PATH] [--name NAME] [--no-build] DIR
//	new-service version
//
// See the README at https://github.com/new-service/new-service.
package main

import (
	"os"

	"github.com/new-service/new-service/generator/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
