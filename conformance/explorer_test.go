package conformance

import (
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is the browser TestAPIExplorer drives: Debian's chromium
// (go tool task browser installs it when missing).
var chromiumPath = flag.String("chromium", "/usr/bin/chromium", "Chromium binary for the API explorer test")

// updateScreenshot writes the explorer's screenshot to
// docs/api-explorer.png instead of the test's artifact folder.
var updateScreenshot = flag.Bool("update-screenshot", false, "write docs/api-explorer.png from TestAPIExplorer")

// TestAPIExplorer opens /docs of a real orders process in headless Chromium:
// the page must load without a console error (a CSP violation is one), list
// every REST route of the service (read from its generated route table, not
// copied here), and "Try it out" on ListOrders must show the JSON answer.
func TestAPIExplorer(t *testing.T) {
	svc := orders(t)
	if _, err := os.Stat(*chromiumPath); err != nil {
		t.Fatalf("no Chromium at %s (go tool task browser installs Debian's): %v", *chromiumPath, err)
	}
	routes, err := routeTable(filepath.Join("..", "examples", "orders", "internal", "server", "register.go"))
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, svc, "orders")
	base := "http://" + p.HTTP

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(*chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	for _, f := range []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
		"disable-background-networking", "disable-component-update", "disable-sync"} {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// Everything the page writes to the console, the browser's own log
	// (a refused request, a CSP violation) included, read until the end.
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	var problems []string
	var readers sync.WaitGroup
	readers.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				problems = append(problems, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
			}
		}
	})

	// The page lists an operation per route: Swagger UI puts its method
	// and its OpenAPI path (JSON parameter names) on each block.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/docs"),
		chromedp.WaitVisible(chromedp.CSS(`.opblock`)),
	); err != nil {
		t.Fatalf("load /docs: %v", err)
	}
	listed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".opblock")).map(b =>
		b.querySelector(".opblock-summary-method").textContent + " " +
		b.querySelector(".opblock-summary-path").getAttribute("data-path"))`))
	if err != nil {
		t.Fatalf("read the operations: %v", err)
	}
	var want, got []string
	for _, r := range routes {
		want = append(want, r.method+" "+anyParams(r.path))
	}
	for _, l := range listed {
		got = append(got, anyParams(l))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the explorer lists\n  %s\nwant the service's routes\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// Try it out: ListOrders (GET /v1/shops/{shop}/orders) for one shop.
	const op = `#operations-OrderService-OrderService_ListOrders`
	const answerBox = op + ` .live-responses-table .response-col_description pre`
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(op+` .opblock-summary-control`)),
		chromedp.Click(chromedp.CSS(op+` .try-out__btn`)),
		chromedp.SendKeys(chromedp.CSS(op+` input[placeholder="shop"]`), "explorer"),
		chromedp.Click(chromedp.CSS(op+` .execute`)),
		chromedp.WaitVisible(chromedp.CSS(answerBox)),
		chromedp.ScrollIntoView(chromedp.CSS(op)),
	); err != nil {
		t.Fatalf("try ListOrders: %v", err)
	}
	answer, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(answerBox)))
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	if !strings.Contains(answer, `"orders"`) {
		t.Errorf("the explorer shows %q, want ListOrders' JSON answer", answer)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(t.ArtifactDir(), "api-explorer.png")
	if *updateScreenshot {
		shot = filepath.Join("..", "docs", "api-explorer.png")
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))

	stopConsole()
	readers.Wait()
	if len(problems) > 0 {
		t.Errorf("the browser reported:\n  %s", strings.Join(problems, "\n  "))
	}
}

// route is one REST route: HTTP method and path template.
type route struct{ method, path string }

// routeTable reads the restRoutes table of a generated service's
// register.go: every REST route its gateway serves.
func routeTable(file string) ([]route, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var routes []route
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "restRoutes" || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return false
		}
		for _, e := range lit.Elts {
			pair, ok := e.(*ast.CompositeLit)
			if !ok || len(pair.Elts) != 2 {
				continue
			}
			var s [2]string
			for i, v := range pair.Elts {
				if b, ok := v.(*ast.BasicLit); ok {
					s[i], _ = strconv.Unquote(b.Value)
				}
			}
			routes = append(routes, route{s[0], s[1]})
		}
		return false
	})
	if len(routes) == 0 {
		return nil, fmt.Errorf("%s: no restRoutes", file)
	}
	return routes, nil
}

// paramPattern matches a path template's variable, with or without a
// segment pattern ({name}, {name=shelves/*}).
var paramPattern = regexp.MustCompile(`\{[^}]*\}`)

// anyParams blanks the variable names of a path template: the route table
// names them as the proto fields (order_id), the OpenAPI document as their
// JSON names (orderId).
func anyParams(path string) string { return paramPattern.ReplaceAllString(path, "{}") }
