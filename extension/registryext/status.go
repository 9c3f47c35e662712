// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PathStatus is the status page.
const PathStatus = "/"

//go:embed statuspage/status.html.tmpl
var statusTemplateText string

//go:embed statuspage/status.css
var statusCSS string

// statusCSP allows nothing but the page's own inline style and script: the page makes no
// request of any kind.
const statusCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"ago":   ago,
	"ms":    func(v *float64) string { return strconv.FormatFloat(*v, 'f', 1, 64) + " ms" },
	"bytes": humanBytes,
	"inc":   func(i int) int { return i + 1 },
	"deref": func(b *bool) bool { return b != nil && *b },
	"cap": func(name string, on bool) template.HTML {
		if on {
			return template.HTML(`<span class="tag on">` + name + `</span>`)
		}
		return template.HTML(`<span class="tag off">` + name + `</span>`)
	},
}).Parse(statusTemplateText))

type statusData struct {
	ID, Version    string
	Now            time.Time
	RefreshSeconds int
	CSS            template.CSS
	Stats          Stats
	Plugins        []PluginInfo
	Formats        []statusFormat
	Sources        []SourceStats
	Top            []topSeries
	Events         []statusEvent
	LastSequence   uint64
}

type statusFormat struct {
	Name       string
	Plugins    []string
	Exportable bool
}

type statusEvent struct {
	Sequence       uint64
	Time           string
	Short, Summary string
	Failed         bool
}

// status serves the status page: one server-rendered HTML page, no external requests.
func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	d := h.statusData(ctx)
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, d); err != nil {
		writeError(w, http.StatusInternalServerError, ErrorResponse{Error: "status page: " + err.Error()})
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", statusCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (h *handler) statusData(ctx context.Context) statusData {
	reg := h.reg
	st := reg.Stats()
	d := statusData{
		ID: reg.id.String(), Version: h.version, Now: reg.now().UTC(),
		RefreshSeconds: int(h.page.Refresh / time.Second),
		CSS:            template.CSS(statusCSS), //nolint:gosec // our own embedded stylesheet
		Stats:          st, Plugins: reg.Plugins(), Sources: st.MetricsSources,
	}
	if d.ID == "" {
		d.ID = "tasker_registry"
	}
	exportable := map[string]bool{}
	for _, f := range st.ExportableFormats {
		exportable[f] = true
	}
	for _, f := range st.SupportedFormats {
		d.Formats = append(d.Formats, statusFormat{Name: f, Plugins: st.PluginsByFormat[f], Exportable: exportable[f]})
	}
	if h.page.TopSeries > 0 {
		for _, src := range st.MetricsSources {
			d.Top = append(d.Top, reg.topSeries(ctx, src.Name, h.page.TopSeries))
		}
	}
	evs := reg.events.stats()
	d.LastSequence = evs.LastSequence
	since := uint64(0)
	if n := uint64(h.page.Events); evs.LastSequence > n {
		since = evs.LastSequence - n
	}
	page := reg.Events(EventQuery{Since: since})
	for i := len(page.Events) - 1; i >= 0; i-- {
		ev := page.Events[i]
		short := strings.TrimPrefix(ev.Name, "tasker.telemetry.")
		d.Events = append(d.Events, statusEvent{
			Sequence: ev.Sequence, Time: ev.Timestamp.UTC().Format("15:04:05.000"),
			Short: short, Summary: payloadSummary(ev.Payload), Failed: short == "export_failed" || ev.Payload["success"] == false,
		})
	}
	return d
}

// payloadSummary lists a payload's telling fields as k=v, in name order (the ids and
// timestamps every payload carries are left out).
func payloadSummary(p map[string]any) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		switch k {
		case "timestamp", "registry_id", "correlation_id", "export_id", "component_kind":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("  ")
		}
		v := fmt.Sprint(p[k])
		if len(v) > 120 {
			v = v[:117] + "..."
		}
		b.WriteString(k + "=" + v)
	}
	return b.String()
}

func ago(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	d := time.Since(*t).Round(time.Second)
	if d < time.Second {
		return "just now"
	}
	return d.String() + " ago"
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "iB"
}
