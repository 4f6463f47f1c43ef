package providers

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfter reads how long the vendor asked us to wait: Retry-After in seconds
// or as an HTTP date, else X-RateLimit-Reset as a UNIX time or a number of
// seconds. It returns 0 when neither is present or parsable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return positive(t.Sub(now))
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
			// Values this large are timestamps; small ones are deltas.
			if n > 1e9 {
				return positive(time.Unix(0, int64(n*float64(time.Second))).Sub(now))
			}
			return time.Duration(n * float64(time.Second))
		}
	}
	return 0
}

func positive(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// jitter spreads d by ±25% so that clients throttled together do not retry together.
func jitter(d time.Duration) time.Duration {
	spread := float64(d) / 2
	return time.Duration(float64(d)*0.75 + rand.Float64()*spread)
}
