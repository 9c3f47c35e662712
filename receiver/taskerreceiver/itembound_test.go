// Copyright otelcol-tasker authors
// SPDX-License-Identifier: Apache-2.0

package taskerreceiver

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestItemBoundLazyVerdicts: 1 + itemBound is at least itemCounter's count of every
// prefix of a body, and bodyReader.tooMany, which counts only once the bound exceeds
// max_events, refuses at exactly the chunk where counting every chunk would, for
// random bodies, cuts and limits.
func TestItemBoundLazyVerdicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("{}[],\n \"\\ax1:")
	bodies := []string{evCompleted + "\n" + evTask + "\n", "[" + evCompleted + "," + evTask + "]", "[,,,,]", "x\ny\nz", "{}{}{}", "\n\n\n"}
	for range 3000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		bodies = append(bodies, string(b))
	}
	for _, body := range bodies {
		var c itemCounter
		for i := range len(body) {
			n := c.feed([]byte(body[i : i+1]))
			require.LessOrEqual(t, n, 1+itemBound([]byte(body[:i+1])), "%q", body[:i+1])
		}
		for range 5 {
			maxEvents := rng.IntN(6)
			var exact itemCounter
			lazy := bodyReader{maxEvents: maxEvents}
			for off := 0; off < len(body); {
				k := 1 + rng.IntN(len(body)-off)
				chunk := []byte(body[off : off+k])
				want := exact.feed(chunk) > maxEvents
				require.Equal(t, want, lazy.tooMany([]byte(body[:off]), chunk), "%q at %d, max %d", body, off, maxEvents)
				if want {
					break
				}
				off += k
			}
		}
	}
}
