// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"golang.org/x/text/encoding/unicode"
)

// decodeUTF8 is a token as the fileconsumer's utf-8 encoding decodes it.
func decodeUTF8(t *testing.T, b []byte) []byte {
	d, err := unicode.UTF8.NewDecoder().Bytes(b)
	require.NoError(t, err)
	return d
}

// validTokens gives every token exactly what the UTF-8 decoder gives.
func TestValidTokensAsDecoder(t *testing.T) {
	alphabet := []byte("a{\"\\ \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff\xc3\xed\xa0\x80\xef\xbf\xbd")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		tok := make([]byte, rng.IntN(24))
		for i := range tok {
			tok[i] = alphabet[rng.IntN(len(alphabet))]
		}
		want := decodeUTF8(t, tok)
		got := validTokens([][]byte{append([]byte(nil), tok...)})
		require.Len(t, got, 1)
		require.Equal(t, string(want), string(got[0]), "%q", tok)
	}
}

// With the default encoding, lines with invalid UTF-8 come out as the utf-8 decoder
// makes them: plain lines and JSON lines alike.
func TestFilesInvalidUTF8AsDecoder(t *testing.T) {
	require.True(t, rawUTF8(&createDefaultConfig().(*Config).Logs.GetOrInsertDefault().Config))
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	plain := railsLine("caf\xe9 \xff\xfe ok \xe2\x82")
	payload := "{\"timestamp\":\"2026-01-10T10:00:01.000Z\",\"message\":\"bad \xc3(\",\"component\":\"x\"}"
	js := railsLine(payload)
	appendLines(t, path, plain, js, railsLine("fine \xc3\xa9"))
	sink := new(consumertest.LogsSink)
	runFiles(t, fileConfig(dir, nil), nil, sink, 3)
	got := bodies(sink)
	require.Len(t, got, 3)
	assert.Equal(t, string(decodeUTF8(t, []byte("caf\xe9 \xff\xfe ok \xe2\x82"))), got[0])
	assert.Equal(t, string(decodeUTF8(t, []byte(payload))), got[1]) // no event name: a plain record
	assert.Equal(t, "fine \xc3\xa9", got[2])
}
