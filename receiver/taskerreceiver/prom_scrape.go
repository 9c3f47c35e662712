// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
)

const inputScrape = "scrape"

// maxScrapeBody bounds one scrape's body.
const maxScrapeBody = 16 << 20

// scraper polls Tasker's /tasker/metrics endpoints every interval.
type scraper struct {
	r       *taskerReceiver
	targets []scrapeTarget
	obs     *receiverhelper.ObsReport
	stop    chan struct{}
	wg      sync.WaitGroup
}

type scrapeTarget struct {
	cfg      ScrapeTarget
	client   *http.Client
	instance string // host:port
}

func (r *taskerReceiver) startScrape(ctx context.Context, host component.Host) error {
	sc := r.cfg.Scrape.Get()
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: r.set.ID, Transport: inputScrape, ReceiverCreateSettings: r.set})
	if err != nil {
		return err
	}
	s := &scraper{r: r, obs: obs, stop: make(chan struct{})}
	for i, t := range sc.Targets {
		cc := t.ClientConfig
		if cc.Timeout == 0 {
			cc.Timeout = sc.Timeout
		}
		client, err := cc.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
		if err != nil {
			return fmt.Errorf("tasker: scrape: targets[%d]: %w", i, err)
		}
		u, _ := url.Parse(cc.Endpoint)
		s.targets = append(s.targets, scrapeTarget{cfg: t, client: client, instance: u.Host})
	}
	if r.nextMetrics == nil {
		r.set.Logger.Warn("tasker: scrape is configured but the receiver is in no metrics pipeline; not scraping")
		return nil
	}
	r.scrape = s
	s.wg.Add(1)
	go s.run(sc.Interval)
	return nil
}

func (r *taskerReceiver) stopScrape() error {
	if r.scrape != nil {
		close(r.scrape.stop)
		r.scrape.wg.Wait()
		r.scrape = nil
	}
	return nil
}

func (s *scraper) run(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-s.stop; cancel() }()
	for {
		for i := range s.targets {
			s.scrapeOnce(ctx, &s.targets[i])
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// scrapeOnce fetches one target and sends what it parsed; failures are logged and
// counted (input scrape), never fatal.
func (s *scraper) scrapeOnce(ctx context.Context, t *scrapeTarget) {
	r := s.r
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.cfg.ClientConfig.Endpoint, http.NoBody)
	if err != nil {
		return
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4, */*;q=0.1")
	if t.cfg.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+string(t.cfg.BearerToken))
	} else if t.cfg.Username != "" {
		req.SetBasicAuth(t.cfg.Username, string(t.cfg.Password))
	}
	now := time.Now()
	resp, err := t.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			r.set.Logger.Warn("tasker: scrape failed", zap.String("target", t.cfg.ClientConfig.Endpoint), zap.Error(err))
			r.record(ctx, inputScrape, stats{}, 1)
		}
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxScrapeBody))
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		// 503 {"error":"Metrics export failed", "message":"Metrics collection is disabled"}
		r.set.Logger.Warn("tasker: scrape answered an error", zap.String("target", t.cfg.ClientConfig.Endpoint),
			zap.Int("status", resp.StatusCode), zap.ByteString("body", body[:min(len(body), 300)]), zap.Error(err))
		r.record(ctx, inputScrape, stats{}, 1)
		return
	}
	pt, lineErrs := parsePromText(string(body))
	r.record(ctx, inputScrape, stats{accepted: int64(len(pt.samples))}, int64(len(lineErrs)))
	for _, e := range lineErrs {
		r.set.Logger.Debug("tasker: scrape line skipped", zap.String("target", t.cfg.ClientConfig.Endpoint),
			zap.Int("line", e.Line), zap.String("error", e.Message))
	}
	if len(pt.samples) == 0 {
		return // Tasker answers an empty body before its first counted event
	}
	md, sm := r.newPromMetrics(t.instance)
	n := promToMetrics(sm, promFamilies(pt), t.instance, now, &r.promStarts)
	octx := s.obs.StartMetricsOp(ctx)
	err = r.nextMetrics.ConsumeMetrics(octx, md)
	s.obs.EndMetricsOp(octx, "tasker_scrape", n, err)
	if err != nil {
		r.set.Logger.Warn("tasker: the pipeline refused a scrape; the next one carries the totals", zap.Error(err))
	}
}
