package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/new-service/new-service/conformance/internal/process"
)

// restBodyLimit is MAX_BODY_BYTES in the REST tests.
const restBodyLimit = 1024

// errorInfoType is the @type of a google.rpc.ErrorInfo detail in JSON.
const errorInfoType = "type.googleapis.com/google.rpc.ErrorInfo"

// TestRESTStatusMapping sends every gRPC code through the REST gateway of
// a real process (CHAOS=codes: X-Request-Id "chaos:code=N" makes the call
// fail with N) and checks the HTTP status against grpc-gateway's standard
// map, and the body: {code, message, details} with an ErrorInfo.
func TestRESTStatusMapping(t *testing.T) {
	svc := orders(t)
	p := start(t, svc, "orders", "CHAOS=codes")
	want := map[codes.Code]int{
		codes.OK: 200, codes.Canceled: 499, codes.Unknown: 500, codes.InvalidArgument: 400,
		codes.DeadlineExceeded: 504, codes.NotFound: 404, codes.AlreadyExists: 409,
		codes.PermissionDenied: 403, codes.ResourceExhausted: 429, codes.FailedPrecondition: 400,
		codes.Aborted: 409, codes.OutOfRange: 400, codes.Unimplemented: 501, codes.Internal: 500,
		codes.Unavailable: 503, codes.DataLoss: 500, codes.Unauthenticated: 401,
	}
	for code := codes.OK; code <= codes.Unauthenticated; code++ {
		t.Run(code.String(), func(t *testing.T) {
			resp := send(t, p.HTTP, http.MethodGet, svc.rest.get("conformance"), map[string]string{"X-Request-Id": fmt.Sprintf("chaos:code=%d", code)}, "")
			if resp.status != want[code] {
				t.Errorf("HTTP %d, want %d; body %s", resp.status, want[code], resp.body)
			}
			if code == codes.OK {
				if !strings.Contains(resp.body, `"orders"`) {
					t.Errorf("body %s, want a ListOrdersResponse", resp.body)
				}
				return
			}
			checkStatusBody(t, resp, code, "CHAOS")
		})
	}
}

// restCase is one request the gateway cannot route or parse.
type restCase struct {
	name         string
	method, path string
	body         string
	status       int
	code         codes.Code
	// reason is the ErrorInfo reason the body must carry; "" when the
	// runtime sends none (see docs/conformance.md, "Findings").
	reason string
	// plain means net/http itself answers, before any handler runs, with a
	// plain-text body.
	plain bool
}

// TestRESTBadRequests sends requests the REST gateway must refuse with a
// 4xx and a structured body, never a 500, to each service; the process must
// serve normally afterwards.
func TestRESTBadRequests(t *testing.T) {
	for _, sv := range services {
		t.Run(sv.name, func(t *testing.T) {
			svc := sv.get(t)
			p := start(t, svc, svc.name, "MAX_BODY_BYTES="+strconv.Itoa(restBodyLimit))
			big := fmt.Sprintf(`{%q: %q}`, svc.rest.bigField, strings.Repeat("x", 2*restBodyLimit))
			tests := []restCase{
				{name: "unknown route", method: "GET", path: "/v1/no/such/route", status: 404, code: codes.NotFound, reason: "ROUTE_NOT_FOUND"},
				{name: "wrong method", method: "DELETE", path: svc.rest.get("conformance"), status: 405, code: codes.Unimplemented, reason: "METHOD_NOT_ALLOWED"},
				{name: "malformed JSON", method: "POST", path: svc.rest.post, body: `{"` + svc.rest.bigField + `": [`, status: 400, code: codes.InvalidArgument, reason: "INVALID_ARGUMENT"},
				{name: "unknown field", method: "POST", path: svc.rest.post, body: `{"noSuchField": 1}`, status: 400, code: codes.InvalidArgument, reason: "INVALID_ARGUMENT"},
				{name: "body over MAX_BODY_BYTES", method: "POST", path: svc.rest.post, body: big, status: 413, code: codes.ResourceExhausted, reason: "BODY_TOO_LARGE"},
				{name: "invalid UTF-8 in a path parameter", method: "GET", path: svc.rest.get("%FF"), status: 400, code: codes.InvalidArgument, reason: "INVALID_UTF8"},
				{name: "invalid UTF-8 in the query", method: "GET", path: svc.rest.get("conformance") + "?x=%FF", status: 400, code: codes.InvalidArgument, reason: "INVALID_UTF8"},
				{name: "invalid escape in the path", method: "GET", path: svc.rest.get("%zz"), status: 400, plain: true},
			}
			// A malformed query matters only to a route that reads one.
			if q := svc.rest.query; q != "" {
				tests = append(tests, restCase{name: "invalid escape in the query", method: "GET", path: svc.rest.get("conformance") + "?" + q + "=%zz", status: 400, code: codes.InvalidArgument, reason: "INVALID_ARGUMENT"})
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp := send(t, p.HTTP, tt.method, tt.path, nil, tt.body)
					if resp.status >= 500 || resp.status != tt.status {
						t.Fatalf("%s %s: HTTP %d, want %d; body %s", tt.method, tt.path, resp.status, tt.status, resp.body)
					}
					if tt.plain {
						return
					}
					checkStatusBody(t, resp, tt.code, tt.reason)
				})
			}
			stillServes(t, p, svc)
		})
	}
}

// stillServes checks that p answers its GET route as a handler does (200,
// or a stub's 501) and reports ready.
func stillServes(t *testing.T, p *process.Process, svc service) {
	t.Helper()
	resp := send(t, p.HTTP, http.MethodGet, svc.rest.get("conformance"), nil, "")
	if resp.status != 200 && resp.status != 501 {
		t.Errorf("GET %s afterwards: HTTP %d, body %s", svc.rest.get("conformance"), resp.status, resp.body)
	}
	ready := send(t, p.Admin, http.MethodGet, "/readyz", nil, "")
	if ready.status != 200 {
		t.Errorf("/readyz afterwards: HTTP %d, body %s", ready.status, ready.body)
	}
}

// response is an HTTP response, read in full.
type response struct {
	status      int
	contentType string
	body        string
}

// send makes one HTTP/1.1 request, writing the request line by hand so that
// paths no HTTP client would send (invalid escapes) reach the server as
// written.
func send(t *testing.T, addr, method, target string, header map[string]string, body string) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for k, v := range header {
		fmt.Fprintf(&req, "%s: %s\r\n", k, v)
	}
	if body != "" {
		fmt.Fprintf(&req, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	req.WriteString("\r\n" + body)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(b)}
}

// checkStatusBody checks a JSON google.rpc.Status body: the code, a
// message, a details list and, when reason is set, an ErrorInfo with it.
func checkStatusBody(t *testing.T, resp response, code codes.Code, reason string) {
	t.Helper()
	if !strings.HasPrefix(resp.contentType, "application/json") {
		t.Errorf("Content-Type %q, want application/json", resp.contentType)
	}
	var st struct {
		Code    *int             `json:"code"`
		Message string           `json:"message"`
		Details []map[string]any `json:"details"`
	}
	if err := json.Unmarshal([]byte(resp.body), &st); err != nil {
		t.Fatalf("body %s: %v", resp.body, err)
	}
	if st.Code == nil || codes.Code(*st.Code) != code {
		t.Errorf("body %s: want code %d (%v)", resp.body, code, code)
	}
	if st.Message == "" {
		t.Errorf("body %s: want a message", resp.body)
	}
	if st.Details == nil {
		t.Errorf("body %s: want a details list", resp.body)
	}
	if reason == "" {
		return
	}
	for _, d := range st.Details {
		if d["@type"] == errorInfoType && d["reason"] == reason && d["domain"] != "" {
			return
		}
	}
	t.Errorf("body %s: want an ErrorInfo with reason %s and a domain", resp.body, reason)
}
