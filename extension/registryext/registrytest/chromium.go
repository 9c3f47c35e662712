// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registrytest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// ArtifactsEnv names the folder where browser tests keep their screenshots. Unset, they
// go to $TMPDIR/otelcol-tasker-artifacts (os.TempDir), which the tests do not remove.
const ArtifactsEnv = "TASKER_TEST_ARTIFACTS"

// Chromium returns the path of Debian's headless-capable chromium. When it is missing the
// test fails under CI=true (.ci/run installs it) and is skipped elsewhere.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("chromium not found: install the Debian package \"chromium\" (.ci/run does)")
	}
	t.Skip("chromium not installed (Debian package \"chromium\"); skipped outside CI")
	return ""
}

// chromium runs headless Chromium on url with extra flags; nothing but url is fetched
// (no first-run, sync, component update, background networking or QUIC).
func chromium(t testing.TB, url string, extra ...string) []byte {
	t.Helper()
	bin := Chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(),
	}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, stderr.String())
	}
	return stdout.Bytes()
}

// DOM loads url in headless Chromium and returns the document as the browser built it,
// after the page's scripts ran (--dump-dom), parsed.
func DOM(t testing.TB, url string) *html.Node {
	t.Helper()
	out := chromium(t, url, "--dump-dom")
	doc, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("parse the DOM of %s: %v", url, err)
	}
	return doc
}

// Screenshot saves a 1280×900 PNG of url as <artifacts>/<name>.png and returns its path.
func Screenshot(t testing.TB, url, name string) string {
	t.Helper()
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "otelcol-tasker-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path, err := filepath.Abs(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(path)
	chromium(t, url, "--screenshot="+path, "--window-size=1280,900")
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot of %s at %s: %v", url, path, err)
	}
	t.Logf("screenshot of %s: %s", url, path)
	return path
}

// Find returns the elements of doc that match: an element name ("" for any) and
// attribute=value pairs.
func Find(doc *html.Node, tag string, attrs ...string) []*html.Node {
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (tag == "" || n.Data == tag) && hasAttrs(n, attrs) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func hasAttrs(n *html.Node, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		if Attr(n, kv[i]) != kv[i+1] {
			return false
		}
	}
	return true
}

// Attr is an element's attribute value ("" when absent).
func Attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// Text is the text content of n, whitespace collapsed.
func Text(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}
