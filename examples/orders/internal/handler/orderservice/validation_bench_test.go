package orderservice

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// BenchmarkValidation measures what checking a typical CreateOrder request
// (two items, a note, two labels) against the rules orders.proto declares
// costs per call: the same method handler (decode, the server's
// interceptor chain as one pass-through interceptor, a stub CreateOrder)
// as registered without and with the checks. A method whose request
// declares no rule is registered unwrapped, so it runs exactly as "bare".
//
//	go test -run '^$' -bench Validation -benchmem ./internal/handler/orderservice/
func BenchmarkValidation(b *testing.B) {
	req := &ordersv1.CreateOrderRequest{
		Shop:      "berlin-1",
		RequestId: "123e4567-e89b-12d3-a456-426614174000",
		Order: &ordersv1.Order{
			Items:  []*ordersv1.LineItem{item("TSHIRT-M-BLUE", 2, 19, 990_000_000), item("MUG-WHITE", 1, 9, 0)},
			Note:   "Please wrap it as a present.",
			Labels: map[string]string{"channel": "web", "campaign": "spring"},
		},
	}
	wire, err := proto.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	dec := func(m any) error { return proto.Unmarshal(wire, m.(proto.Message)) }
	pass := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	var c capture
	validated(b, &c).RegisterService(&ordersv1.OrderService_ServiceDesc, stub{})
	for _, tc := range []struct {
		name string
		desc *grpc.ServiceDesc
	}{
		{"bare", &ordersv1.OrderService_ServiceDesc},
		{"validated", c.desc},
	} {
		handler := methodHandler(b, tc.desc, "CreateOrder")
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := handler(stub{}, context.Background(), dec, pass); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// stub is an OrderService whose CreateOrder does nothing.
type stub struct {
	ordersv1.UnimplementedOrderServiceServer
}

func (stub) CreateOrder(context.Context, *ordersv1.CreateOrderRequest) (*ordersv1.Order, error) {
	return nil, nil
}

// capture is a registrar that keeps the service description it is given.
type capture struct{ desc *grpc.ServiceDesc }

func (c *capture) RegisterService(d *grpc.ServiceDesc, _ any) { c.desc = d }

func methodHandler(b *testing.B, d *grpc.ServiceDesc, name string) grpc.MethodHandler {
	for _, m := range d.Methods {
		if m.MethodName == name {
			return m.Handler
		}
	}
	b.Fatalf("no method %s", name)
	return nil
}
