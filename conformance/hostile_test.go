package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/new-service/new-service/conformance/internal/process"
	"github.com/new-service/new-service/conformance/internal/scrape"
	ordersv1 "github.com/new-service/new-service/examples/orders/gen/acme/orders/v1"
)

// podMemoryLimit is the memory limit of the generated Deployment's
// container: a hostile caller must not push a replica past it.
const podMemoryLimit = 256 << 20

// rssWatch samples a process's resident set size (VmRSS in
// /proc/PID/status) every 10ms until stopped, and keeps the peak.
type rssWatch struct {
	pid  int
	stop chan struct{}
	done chan struct{}
	peak atomic.Int64
}

func watchRSS(t *testing.T, p *process.Process) *rssWatch {
	t.Helper()
	w := &rssWatch{pid: p.Pid(), stop: make(chan struct{}), done: make(chan struct{})}
	if _, err := rss(w.pid); err != nil {
		t.Fatalf("read VmRSS: %v", err)
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if n, err := rss(w.pid); err == nil && n > w.peak.Load() {
				w.peak.Store(n)
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { w.finish() })
	return w
}

// finish stops sampling and returns the peak in bytes.
func (w *rssWatch) finish() int64 {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	return w.peak.Load()
}

// rss returns a process's VmRSS in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS line")
}

// mib formats bytes in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// restLoad is REST calls from workers goroutines through one keep-alive
// client until stopped, bounded in count and time.
type restLoad struct {
	stop            chan struct{}
	done            chan struct{}
	calls, failures atomic.Int64
	mu              sync.Mutex
	errs            []string
}

func startRESTLoad(t *testing.T, workers, maxCalls int, limit time.Duration, do func() error) *restLoad {
	t.Helper()
	l := &restLoad{stop: make(chan struct{}), done: make(chan struct{})}
	end := time.Now().Add(limit)
	var issued atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(end) && issued.Add(1) <= int64(maxCalls) {
				select {
				case <-l.stop:
					return
				default:
				}
				err := do()
				l.calls.Add(1)
				if err != nil {
					l.failures.Add(1)
					l.mu.Lock()
					if len(l.errs) < 5 {
						l.errs = append(l.errs, err.Error())
					}
					l.mu.Unlock()
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(l.done)
	}()
	t.Cleanup(func() { l.finish() })
	return l
}

func (l *restLoad) finish() (calls, failures int64, errs []string) {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls.Load(), l.failures.Load(), l.errs
}

// getOK returns a call that GETs url and wants 200.
func getOK(c *http.Client, url string) func() error {
	return func() error {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
		}
		return nil
	}
}

// TestHostileManyViolations sends CreateOrder bodies of ~3.6 MB with 45,000
// invalid line items (three violations each) over REST while eight workers
// make unrelated ListOrders calls through the same gateway. Every unrelated
// call must succeed (the gateway's connection to its own gRPC server must
// survive), the hostile caller must get a bounded 400, and the process's
// RSS must stay under the pod's memory limit.
func TestHostileManyViolations(t *testing.T) {
	svc := orders(t)
	p := start(t, svc, "orders")
	watch := watchRSS(t, p)
	base := "http://" + p.HTTP

	var b strings.Builder
	b.WriteString(`{"items":[`)
	sku := strings.Repeat("!", 48)
	for i := range 45_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":%q,"quantity":0}`, sku)
	}
	b.WriteString(`]}`)
	body := b.String()

	c := &http.Client{Timeout: 10 * time.Second}
	l := startRESTLoad(t, 8, 200_000, time.Minute, getOK(c, base+svc.rest.get("conformance")))
	var sizes []int
	start := time.Now()
	for range 3 {
		resp, err := c.Post(base+svc.rest.post, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("hostile CreateOrder: %v", err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sizes = append(sizes, len(got))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("hostile CreateOrder: HTTP %d, want 400; body %.300s", resp.StatusCode, got)
		}
	}
	took := time.Since(start)
	calls, failures, errs := l.finish()
	peak := watch.finish()
	t.Logf("3 requests of %d bytes (45,000 items) in %v; error bodies %v bytes; unrelated REST calls: %d, failed %d; peak RSS %s",
		len(body), took.Round(time.Millisecond), sizes, calls, failures, mib(peak))
	if failures > 0 {
		t.Errorf("%d of %d unrelated REST calls failed; first errors: %v", failures, calls, errs)
	}
	if peak >= podMemoryLimit {
		t.Errorf("peak RSS %s, want under the pod limit %s", mib(peak), mib(podMemoryLimit))
	}
	for _, n := range sizes {
		if n > 64<<10 {
			t.Errorf("error body of %d bytes, want at most 64 KiB", n)
		}
	}
	stillServes(t, p, svc)
}

// TestHostileMetadata sends gRPC calls with 15 MB of metadata, eight at
// once: each must be refused and the process's RSS stay bounded; and it
// opens 400 streams on one connection, of which at most
// MAX_CONCURRENT_STREAMS may be open at once.
func TestHostileMetadata(t *testing.T) {
	svc := orders(t)
	p := start(t, svc, "orders")
	watch := watchRSS(t, p)
	conn := dialPlain(t, p.GRPC)
	oc := ordersv1.NewOrderServiceClient(conn)

	big := strings.Repeat("x", 15<<20)
	var wg sync.WaitGroup
	var refused atomic.Int64
	var mu sync.Mutex
	var codesSeen []string
	for range 8 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(t.Context(), "x-big", big), 20*time.Second)
			defer cancel()
			_, err := oc.ListOrders(ctx, &ordersv1.ListOrdersRequest{Shop: "conformance"})
			if err != nil {
				refused.Add(1)
			}
			mu.Lock()
			codesSeen = append(codesSeen, status.Code(err).String())
			mu.Unlock()
		})
	}
	wg.Wait()
	peak := watch.finish()
	t.Logf("8 calls with 15 MB of metadata: %d refused (%v); peak RSS %s", refused.Load(), codesSeen, mib(peak))
	if refused.Load() != 8 {
		t.Errorf("%d of 8 calls with 15 MB of metadata refused, want 8", refused.Load())
	}
	if peak >= 128<<20 {
		t.Errorf("peak RSS %s, want under 128 MiB", mib(peak))
	}

	// Streams on one connection: each stream the server admits opens at
	// once; the rest wait for a slot until their deadline. What counts is
	// how many are open at the same time.
	conn2 := dialPlain(t, p.GRPC)
	oc2 := ordersv1.NewOrderServiceClient(conn2)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var open, opened atomic.Int64
	var swg sync.WaitGroup
	for range 400 {
		swg.Go(func() {
			sctx, scancel := context.WithTimeout(ctx, 3*time.Second)
			defer scancel()
			st, err := oc2.WatchOrders(sctx, &ordersv1.WatchOrdersRequest{Shop: "conformance"})
			if err != nil {
				return
			}
			if _, err := st.Header(); err != nil {
				return
			}
			n := open.Add(1)
			defer open.Add(-1)
			for {
				peak := opened.Load()
				if n <= peak || opened.CompareAndSwap(peak, n) {
					break
				}
			}
			<-sctx.Done()
		})
	}
	swg.Wait()
	t.Logf("400 streams on one connection: at most %d open at once", opened.Load())
	if opened.Load() > 256 {
		t.Errorf("%d streams open on one connection, want at most 256", opened.Load())
	}
	stillServes(t, p, svc)
}

// TestHostileSlowHTTP checks the REST port's connection timeouts with
// short settings: an idle keep-alive connection is closed after
// IDLE_TIMEOUT, a body sent too slowly is cut off after READ_TIMEOUT, and a
// body over MAX_BODY_BYTES is 413 with the JSON status body.
func TestHostileSlowHTTP(t *testing.T) {
	svc := orders(t)
	const timeout = time.Second
	p := start(t, svc, "orders", "IDLE_TIMEOUT="+timeout.String(), "READ_TIMEOUT="+timeout.String(),
		"READ_HEADER_TIMEOUT="+timeout.String(), "MAX_BODY_BYTES="+strconv.Itoa(restBodyLimit))

	closedAfter := func(t *testing.T, conn net.Conn, r *bufio.Reader) time.Duration {
		t.Helper()
		start := time.Now()
		if err := conn.SetReadDeadline(time.Now().Add(5 * timeout)); err != nil {
			t.Fatal(err)
		}
		_, err := io.Copy(io.Discard, r)
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return -1
		}
		return time.Since(start)
	}

	t.Run("idle", func(t *testing.T) {
		conn, err := net.Dial("tcp", p.HTTP)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", svc.rest.get("conformance"))
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := closedAfter(t, conn, r)
		t.Logf("idle keep-alive connection closed after %s", closedIn(d, 5*timeout))
		if d < 0 || d > timeout+500*time.Millisecond {
			t.Errorf("idle connection closed after %v, want within IDLE_TIMEOUT %v", d, timeout)
		}
	})
	t.Run("slow body", func(t *testing.T) {
		conn, err := net.Dial("tcp", p.HTTP)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"note\":", svc.rest.post)
		r := bufio.NewReader(conn)
		d := closedAfter(t, conn, r)
		t.Logf("connection with a stalled body closed after %s", closedIn(d, 5*timeout))
		if d < 0 || d > timeout+500*time.Millisecond {
			t.Errorf("stalled body cut off after %v, want within READ_TIMEOUT %v", d, timeout)
		}
	})
	t.Run("body too large", func(t *testing.T) {
		big := fmt.Sprintf(`{%q: %q}`, svc.rest.bigField, strings.Repeat("x", 2*restBodyLimit))
		resp := send(t, p.HTTP, http.MethodPost, svc.rest.post, nil, big)
		if resp.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d, want 413; body %s", resp.status, resp.body)
		}
		checkStatusBody(t, resp, codes.ResourceExhausted, "BODY_TOO_LARGE")
	})
	stillServes(t, p, svc)
}

// closedIn describes how long a connection took to close; d < 0 means it
// was still open after waited.
func closedIn(d, waited time.Duration) string {
	if d < 0 {
		return fmt.Sprintf("never: still open after %v", waited)
	}
	return d.Round(10 * time.Millisecond).String()
}

// TestHostileDrainREST makes REST calls from 8 workers through one
// keep-alive client while a replica drains, as kube-proxy sends a
// ClusterIP Service's traffic: connections made before SIGTERM stay with
// the draining replica, new ones go to another. Not one call may fail:
// the draining replica must stop keeping connections alive (Connection:
// close) so that clients move before it stops. The requests have a body
// that cannot be replayed, so Go's transport cannot retry a request that
// met a closed connection, as most clients cannot.
func TestHostileDrainREST(t *testing.T) {
	svc := orders(t)
	const drain, grace = 2 * time.Second, 5 * time.Second
	old := start(t, svc, "old", "DRAIN_DELAY="+drain.String(), "SHUTDOWN_GRACE="+grace.String())
	next := start(t, svc, "next")
	var terminated atomic.Bool
	var dialsOld, dialsNext atomic.Int64
	tr := &http.Transport{
		MaxIdleConnsPerHost: 8,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			if terminated.Load() {
				dialsNext.Add(1)
				return d.DialContext(ctx, network, next.HTTP)
			}
			dialsOld.Add(1)
			return d.DialContext(ctx, network, old.HTTP)
		},
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	url := "http://replica" + svc.rest.get("conformance")
	do := func() error {
		req, err := http.NewRequest(http.MethodGet, url, io.NopCloser(strings.NewReader("")))
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
	l := startRESTLoad(t, 8, 200_000, time.Minute, do)
	for l.calls.Load() < 500 {
		select {
		case <-l.done:
			t.Fatal("the load ended before 500 calls")
		case <-time.After(10 * time.Millisecond):
		}
	}
	before := l.calls.Load()
	terminated.Store(true)
	if err := old.Terminate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), drain+grace+5*time.Second)
	defer cancel()
	code, _, err := old.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls, failures, errs := l.finish()
	t.Logf("REST across a drain: %d calls (%d before SIGTERM), %d failed; dials: %d to the old replica, %d to the new; exit %d",
		calls, before, failures, dialsOld.Load(), dialsNext.Load(), code)
	if failures > 0 {
		t.Errorf("%d of %d REST calls failed across the drain; first errors: %v", failures, calls, errs)
	}
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}

// TestHostileHTTPDetails checks the headers REST callers need: 405 lists
// the route's methods in Allow; 429 and 503 carry Retry-After (RetryInfo's
// delay when the status has one); a response over MAX_SEND_MSG_BYTES fails
// on the server as RESOURCE_EXHAUSTED, counted and logged as such, and the
// REST caller does not see grpc-go's transport message.
func TestHostileHTTPDetails(t *testing.T) {
	svc := orders(t)
	// CreateOrder reserves stock in an InventoryService: another replica's.
	inv := start(t, svc, "inventory")
	p := start(t, svc, "orders", "CHAOS=codes", "ORDERS_WRITE_RATE=1/m,burst=2", "MAX_SEND_MSG_BYTES=1000",
		"INVENTORY_TARGET=dns:///"+inv.GRPC)
	header := func(method, path string, hdr map[string]string, body string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+p.HTTP+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	t.Run("405 Allow", func(t *testing.T) {
		code, h, body := header(http.MethodPut, svc.rest.get("conformance"), nil, "")
		t.Logf("PUT %s: HTTP %d, Allow %q", svc.rest.get("conformance"), code, h.Get("Allow"))
		if code != 405 || h.Get("Allow") != "GET, POST" {
			t.Errorf("HTTP %d, Allow %q, want 405 with \"GET, POST\"; body %s", code, h.Get("Allow"), body)
		}
	})
	for _, tt := range []struct {
		code   codes.Code
		status int
	}{{codes.ResourceExhausted, 429}, {codes.Unavailable, 503}} {
		t.Run(fmt.Sprintf("%d Retry-After", tt.status), func(t *testing.T) {
			code, h, body := header(http.MethodGet, svc.rest.get("conformance"), map[string]string{"X-Request-Id": fmt.Sprintf("chaos:code=%d", tt.code)}, "")
			t.Logf("HTTP %d, Retry-After %q", code, h.Get("Retry-After"))
			if code != tt.status || h.Get("Retry-After") == "" {
				t.Errorf("HTTP %d, Retry-After %q, want %d with Retry-After; body %s", code, h.Get("Retry-After"), tt.status, body)
			}
		})
	}
	t.Run("429 Retry-After from RetryInfo", func(t *testing.T) {
		// Two orders with long notes also make ListOrders's response
		// larger than MAX_SEND_MSG_BYTES for the next subtest.
		order := fmt.Sprintf(`{"items":[{"sku":"a1","quantity":1,"unitPrice":{"currencyCode":"EUR","units":"1"}}],"note":%q}`, strings.Repeat("n", 480))
		var code int
		var h http.Header
		stock, err := http.NewRequest(http.MethodPut, "http://"+inv.HTTP+"/v1/shops/conformance/skus/a1/stock", strings.NewReader(`{"onHand": 100}`))
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := http.DefaultClient.Do(stock); err != nil || resp.StatusCode != 200 {
			t.Fatalf("SetStock: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		var seen []int
		for range 4 {
			var body string
			code, h, body = header(http.MethodPost, svc.rest.post, nil, order)
			seen = append(seen, code)
			if code == 429 {
				break
			}
			if code != 200 {
				t.Errorf("CreateOrder: HTTP %d, %s", code, body)
			}
		}
		t.Logf("CreateOrder statuses: %v", seen)
		ra, _ := strconv.Atoi(h.Get("Retry-After"))
		t.Logf("write over the rate: HTTP %d, Retry-After %q", code, h.Get("Retry-After"))
		if code != 429 || ra < 30 || ra > 60 {
			t.Errorf("HTTP %d, Retry-After %q, want 429 with the RetryInfo delay (30 to 60s)", code, h.Get("Retry-After"))
		}
	})
	t.Run("transport error", func(t *testing.T) {
		// Nothing listens on port 1: CreateOrder's call to InventoryService
		// fails in grpc-go's transport.
		lonely := start(t, svc, "lonely", "INVENTORY_TARGET=dns:///127.0.0.1:1")
		order := `{"items":[{"sku":"a1","quantity":1,"unitPrice":{"currencyCode":"EUR","units":"1"}}]}`
		resp, err := http.Post("http://"+lonely.HTTP+svc.rest.post, "application/json", strings.NewReader(order))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var st struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &st)
		t.Logf("HTTP %d, message %q", resp.StatusCode, st.Message)
		if resp.StatusCode != 503 || strings.Contains(st.Message, "connection error") || strings.Contains(st.Message, "transport") {
			t.Errorf("HTTP %d, message %q; want 503 without grpc-go's transport detail", resp.StatusCode, st.Message)
		}
	})
	t.Run("response over MAX_SEND_MSG_BYTES", func(t *testing.T) {
		series := scrape.Method("acme.orders.v1.OrderService", "ListOrders", "grpc_code", "ResourceExhausted")
		before := counter(t, p, "grpc_server_handled_total", series)
		code, _, body := header(http.MethodGet, svc.rest.get("conformance")+"?pageSize=100", nil, "")
		var st struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal([]byte(body), &st)
		after := counter(t, p, "grpc_server_handled_total", series)
		t.Logf("HTTP %d, message %q; grpc_server_handled_total{ListOrders, ResourceExhausted} %v -> %v", code, st.Message, before, after)
		if code != 429 || codes.Code(st.Code) != codes.ResourceExhausted {
			t.Errorf("HTTP %d, body %s; want 429 RESOURCE_EXHAUSTED", code, body)
		}
		if strings.Contains(st.Message, "grpc:") || strings.Contains(st.Message, "larger than max") {
			t.Errorf("message %q shows grpc-go's transport detail to a REST caller", st.Message)
		}
		if after != before+1 {
			t.Errorf("grpc_server_handled_total{ListOrders, ResourceExhausted} went %v -> %v, want +1", before, after)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, err := p.Log.WaitEntry(ctx, map[string]string{"msg": "finished call", "grpc.method": "ListOrders", "grpc.code": "ResourceExhausted"}); err != nil {
			t.Errorf("no access-log line of ListOrders with ResourceExhausted: %v", err)
		}
	})
}
