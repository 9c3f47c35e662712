// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package registryext

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tasker-systems/otelcol-tasker/extension/registryext/internal/metadata"
	"github.com/tasker-systems/otelcol-tasker/internal/codec/promtext"
	"github.com/tasker-systems/otelcol-tasker/pkg/taskerregistry"
)

// HTTP paths.
const (
	PathHealth  = "/health"
	PathMetrics = "/metrics"
	PathPlugins = "/v1/plugins"
	PathFormats = "/v1/formats"
	PathStats   = "/v1/stats"
	PathEvents  = "/v1/events"
	PathExport  = "/v1/export"
)

const (
	defaultEventLimit = 100
	allowedMethods    = "GET, HEAD"
	jsonContentType   = "application/json; charset=utf-8"
)

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
	// Format and SupportedFormats: unsupported or missing format in /v1/export.
	Format           string   `json:"format,omitempty"`
	SupportedFormats []string `json:"supported_formats,omitempty"`
	// PluginErrors: every plugin failed in /v1/export.
	PluginErrors []PluginError `json:"plugin_errors,omitempty"`
	// MetricsSources: the registered sources (no or ambiguous source in /v1/export).
	MetricsSources []string `json:"metrics_sources,omitempty"`
	// EventTypes: unknown type in /v1/events.
	EventTypes []string `json:"event_types,omitempty"`
}

// PluginList is the body of GET /v1/plugins.
type PluginList struct {
	Plugins []PluginInfo `json:"plugins"`
	Total   int          `json:"total"`
	// Format echoes the ?format= filter ("" when none).
	Format string `json:"format"`
}

// FormatList is the body of GET /v1/formats.
type FormatList struct {
	Formats           []string            `json:"formats"`
	TotalFormats      int                 `json:"total_formats"`
	ExportableFormats []string            `json:"exportable_formats"`
	PluginsByFormat   map[string][]string `json:"plugins_by_format"`
}

// Health is the body of GET /health.
type Health struct {
	Status         string   `json:"status"`
	Plugins        int      `json:"plugins"`
	Formats        []string `json:"formats"`
	MetricsSources []string `json:"metrics_sources"`
	LastSequence   uint64   `json:"last_sequence"`
}

type handler struct {
	reg      *Registry
	logger   *zap.Logger
	tel      *metadata.TelemetryBuilder
	token    [sha256.Size]byte
	hasToken bool
	timeout  time.Duration
	maxLimit int
	host     string
	version  string
	page     StatusPageConfig
	// routes are the endpoints of a fixed path (not the status page and plugin pages).
	routes map[string]func(http.ResponseWriter, *http.Request)
}

func newHandler(reg *Registry, cfg *Config, logger *zap.Logger, tel *metadata.TelemetryBuilder) http.Handler {
	h := &handler{reg: reg, logger: logger, tel: tel, timeout: cfg.ExportTimeout, maxLimit: cfg.MaxEvents, page: cfg.StatusPage, version: reg.version}
	h.routes = map[string]func(http.ResponseWriter, *http.Request){
		PathHealth: h.health, PathMetrics: h.metrics, PathPlugins: h.plugins, PathFormats: h.formats,
		PathStats: h.stats, PathEvents: h.events, PathExport: h.export,
	}
	if cfg.Token != "" {
		h.token, h.hasToken = sha256.Sum256([]byte(cfg.Token)), true
	}
	if h.timeout <= 0 {
		h.timeout = DefaultExportTimeout
	}
	if h.maxLimit <= 0 {
		h.maxLimit = DefaultMaxEvents
	}
	if logger == nil {
		h.logger = zap.NewNop()
	}
	host, _ := os.Hostname()
	h.host = fileSafe(host)
	if h.host == "" {
		h.host = "unknown"
	}
	return h
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	endpoint := h.route(w, r)
	if h.tel != nil {
		h.tel.ExtensionTaskerRegistryRequests.Add(r.Context(), 1, metric.WithAttributeSet(attribute.NewSet(
			attribute.String("endpoint", endpoint), attribute.String("code", strconv.Itoa(w.status)))))
	}
}

// route serves the request and returns the endpoint's name for telemetry.
func (h *handler) route(w http.ResponseWriter, r *http.Request) string {
	path := r.URL.Path
	var (
		endpoint string
		serve    func(http.ResponseWriter, *http.Request)
	)
	switch {
	case path == PathStatus && h.page.Enabled:
		endpoint, serve = PathStatus, h.status
	case strings.HasPrefix(path, PathPlugins+"/") && len(path) > len(PathPlugins)+1:
		endpoint, serve = PathPlugins+"/{name}", h.plugin
	case h.routes[path] != nil:
		endpoint, serve = path, h.routes[path]
	default:
		writeError(w, http.StatusNotFound, ErrorResponse{Error: fmt.Sprintf("no endpoint %s; see %s, %s, %s, %s, %s, %s, %s (and the status page at %s unless status_page::enabled is false)", path, PathPlugins, PathFormats, PathStats, PathEvents, PathExport, PathMetrics, PathHealth, PathStatus)})
		return "unknown"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", allowedMethods)
		writeError(w, http.StatusMethodNotAllowed, ErrorResponse{Error: fmt.Sprintf("method %s not allowed on %s; use GET", r.Method, endpoint)})
		return endpoint
	}
	if endpoint != PathHealth && !h.authorized(w, r) {
		return endpoint
	}
	serve(w, r)
	return endpoint
}

// authorized checks the bearer token in constant time (of the token's SHA-256, so the
// comparison does not reveal the token's length either).
func (h *handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if !h.hasToken {
		return true
	}
	got, ok := bearer(r.Header.Get("Authorization"))
	if ok {
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], h.token[:]) == 1 {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="tasker_registry", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, ErrorResponse{Error: "invalid bearer token"})
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="tasker_registry"`)
	writeError(w, http.StatusUnauthorized, ErrorResponse{Error: "missing bearer token: send Authorization: Bearer <token>"})
	return false
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, body ErrorResponse) {
	body.Status = status
	writeJSON(w, status, body)
}

func (h *handler) health(w http.ResponseWriter, _ *http.Request) {
	st := h.reg.events.stats()
	writeJSON(w, http.StatusOK, Health{
		Status:         "ok",
		Plugins:        len(h.reg.Plugins()),
		Formats:        h.reg.Formats(),
		MetricsSources: h.reg.MetricsSources(),
		LastSequence:   st.LastSequence,
	})
}

func (h *handler) plugins(w http.ResponseWriter, r *http.Request) {
	format := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("format")))
	var list []PluginInfo
	if format != "" {
		list = h.reg.ByFormat(format)
	} else {
		list = h.reg.Plugins()
	}
	if list == nil {
		list = []PluginInfo{}
	}
	writeJSON(w, http.StatusOK, PluginList{Plugins: list, Total: len(list), Format: format})
}

func (h *handler) plugin(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, PathPlugins+"/")
	p, ok := h.reg.Get(name)
	if !ok {
		writeError(w, http.StatusNotFound, ErrorResponse{Error: fmt.Sprintf("plugin %q is not registered", name)})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (h *handler) formats(w http.ResponseWriter, _ *http.Request) {
	st := h.reg.Stats()
	writeJSON(w, http.StatusOK, FormatList{
		Formats:           st.SupportedFormats,
		TotalFormats:      st.TotalFormats,
		ExportableFormats: st.ExportableFormats,
		PluginsByFormat:   st.PluginsByFormat,
	})
}

func (h *handler) stats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, h.reg.Stats())
}

func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var eq EventQuery
	if s := q.Get("since"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, ErrorResponse{Error: fmt.Sprintf("since must be a non-negative integer (an event sequence), got %q", s)})
			return
		}
		eq.Since = v
	}
	eq.Limit = defaultEventLimit
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > h.maxLimit {
			writeError(w, http.StatusBadRequest, ErrorResponse{Error: fmt.Sprintf("limit must be an integer between 1 and %d (max_events), got %q", h.maxLimit, s)})
			return
		}
		eq.Limit = v
	}
	if t := q.Get("type"); t != "" {
		if taskerregistry.NormalizeEventName(t) == "" {
			writeError(w, http.StatusBadRequest, ErrorResponse{Error: fmt.Sprintf("unknown event type %q", t), EventTypes: taskerregistry.EventNames})
			return
		}
		eq.Name = t
	}
	writeJSON(w, http.StatusOK, h.reg.Events(eq))
}

func (h *handler) export(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if strings.TrimSpace(format) == "" {
		writeError(w, http.StatusBadRequest, ErrorResponse{Error: "format is required: /v1/export?format=<format>", SupportedFormats: h.reg.ExportableFormats()})
		return
	}
	opts := map[string]string{}
	for k, vs := range q {
		if k != "format" && k != "source" && len(vs) > 0 {
			opts[k] = vs[0]
		}
	}
	h.serveExport(w, r, ExportRequest{
		Format:        format,
		Source:        q.Get("source"),
		CorrelationID: correlationID(r),
		Options:       opts,
	}, true)
}

func (h *handler) metrics(w http.ResponseWriter, r *http.Request) {
	// OpenMetrics when the Accept header asks for application/openmetrics-text.
	if expfmt.NegotiateIncludingOpenMetrics(r.Header).FormatType() == expfmt.TypeOpenMetrics {
		r = r.WithContext(promtext.WithOpenMetrics(r.Context()))
	}
	w.Header().Set("Vary", "Accept")
	h.serveExport(w, r, ExportRequest{Format: FormatPrometheus, Source: r.URL.Query().Get("source"), Quiet: true}, false)
}

func (h *handler) serveExport(w http.ResponseWriter, r *http.Request, req ExportRequest, file bool) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	res, err := h.reg.Export(ctx, req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		h.writeExportError(w, req, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", res.MediaType.ContentType)
	hd.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	hd.Set("Content-Length", strconv.Itoa(len(res.Data)))
	hd.Set("X-Tasker-Export-Id", res.ExportID)
	hd.Set("X-Tasker-Plugin", res.Plugin)
	if file && res.MediaType.FileExtension != "" {
		name := fmt.Sprintf("metrics_export_%s_%s.%s", h.host, time.Now().UTC().Format("20060102_150405"), res.MediaType.FileExtension)
		hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(res.Data)
	}
}

func (h *handler) writeExportError(w http.ResponseWriter, req ExportRequest, err error) {
	var (
		unsupported *UnsupportedFormatError
		failed      *ExportFailedError
	)
	switch {
	case errors.As(err, &unsupported):
		writeError(w, http.StatusNotFound, ErrorResponse{Error: err.Error(), Format: req.Format, SupportedFormats: unsupported.Supported})
	case errors.Is(err, ErrNoMetricsSource):
		writeError(w, http.StatusConflict, ErrorResponse{Error: err.Error(), MetricsSources: h.reg.MetricsSources()})
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, ErrorResponse{Error: err.Error(), MetricsSources: h.reg.MetricsSources()})
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, ErrorResponse{Error: fmt.Sprintf("export did not finish within export_timeout (%s): %v", h.timeout, err), Format: req.Format})
	case errors.Is(err, ErrSnapshot):
		writeError(w, http.StatusServiceUnavailable, ErrorResponse{Error: err.Error(), Format: req.Format})
	case errors.As(err, &failed):
		writeError(w, http.StatusInternalServerError, ErrorResponse{Error: err.Error(), Format: req.Format, PluginErrors: failed.Errors})
	default:
		writeError(w, http.StatusInternalServerError, ErrorResponse{Error: err.Error(), Format: req.Format})
	}
	h.logger.Debug("Export refused", zap.String("format", req.Format), zap.Error(err))
}

// correlationID takes X-Correlation-ID when it has Tasker's accepted form
// (/\A[a-zA-Z0-9][a-zA-Z0-9_\-]*\z/, at most 100 characters).
func correlationID(r *http.Request) string {
	id := r.Header.Get("X-Correlation-ID")
	if id == "" || len(id) > 100 || !isAlnum(id[0]) {
		return ""
	}
	for i := 1; i < len(id); i++ {
		if !isAlnum(id[i]) && id[i] != '_' && id[i] != '-' {
			return ""
		}
	}
	return id
}

func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			b[i] = '_'
		}
	}
	return string(b)
}
