package orderservice

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPageTokenRoundTrip(t *testing.T) {
	want := pageToken{Shop: "berlin-1", State: 4, After: 1 << 60}
	got, err := decodePageToken(want.encode())
	if err != nil {
		t.Fatalf("decodePageToken: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodePageTokenRejects(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name  string
		token string
	}{
		{name: "not base64", token: "!!!"},
		{name: "padded base64", token: base64.URLEncoding.EncodeToString([]byte(`{"after":1}`))},
		{name: "not JSON", token: b64([]byte("hello"))},
		{name: "trailing data", token: b64([]byte(`{"after":1} {}`))},
		{name: "wrong types", token: b64([]byte(`{"after":"1"}`))},
		{name: "no position", token: b64([]byte(`{"shop":"s"}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := decodePageToken(tt.token); err == nil {
				t.Errorf("decodePageToken(%q) = %+v, want an error", tt.token, got)
			}
		})
	}
}
