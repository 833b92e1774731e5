package load_test

import (
	"context"
	"testing"

	"github.com/new-service/new-service/generator/load"
	refproto "github.com/new-service/new-service/proto"
)

func TestLoadReference(t *testing.T) {
	in := load.Input{
		Roots: []load.Root{{FS: refproto.FS, Dir: refproto.Dir}},
		Files: []string{"acme/orders/v1/orders.proto"},
	}
	res, err := load.Load(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Files[0].Services().Get(0).FullName(); got != "acme.orders.v1.OrderService" {
		t.Errorf("service = %s", got)
	}
	t.Log(res.Sources)
}
