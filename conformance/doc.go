// Package conformance checks generated services from the outside: it runs
// their real binaries as separate processes on loopback addresses, drives
// them with the real generated client, grpc's real dns:/// resolver (served
// by a tiny DNS server in the test), and the real grpc-health-probe,
// grpcurl and ghz, and checks what an operator would see: calls per
// replica, exit statuses, access-log lines, /metrics series and HTTP
// statuses.
//
// The package has no code besides its tests. Run it with
//
//	cd conformance && go test -count=1 ./...
//
// TestMain builds, once per run and concurrently, the reference service's
// binary (examples/orders), a second service rendered by the real generator
// from template/testdata/billing, and the pinned tools (see package
// internal/tool). A build that fails fails the tests that need it, with the
// reason; nothing is skipped, except the whole process-level suite under
// -short.
//
// Every process binds to 127.0.0.0/8 only. Replicas of one service share a
// gRPC port on 127.0.0.2, 127.0.0.3, ..., like pods behind a headless
// Service, and a DNS name listing the ready ones. Every load loop is bounded
// in calls and in time, and nothing waits by sleeping: tests wait for log
// lines, exits, metrics and the calls themselves. docs/conformance.md says
// what each test proves and the figures measured.
package conformance
