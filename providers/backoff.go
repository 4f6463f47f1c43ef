package providers

import (
	"errors"
	"math"
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
		// A proxy that merged repeated headers leaves "30, 30"; a date's
		// comma follows a day name, which is no number.
		first, _, _ := strings.Cut(v, ",")
		if secs, err := strconv.ParseFloat(strings.TrimSpace(first), 64); (err == nil || errors.Is(err, strconv.ErrRange)) && secs >= 0 {
			return Seconds(secs) // out of range (1e400) is +Inf: the longest wait
		}
		if t, err := http.ParseTime(v); err == nil {
			return min(positive(t.Sub(now)), maxWait)
		}
		if t, err := time.Parse(time.RFC1123Z, v); err == nil { // "+0000" for "GMT"
			return min(positive(t.Sub(now)), maxWait)
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
			// Values this large are timestamps; small ones are deltas.
			if n > 1e11 && n < 1e14 { // a UNIX time in milliseconds
				n /= 1000
			}
			if n > 1e9 {
				if n > 1e11 { // no real reset time: back off as usual
					return 0
				}
				sec, frac := math.Modf(n)
				return min(positive(time.Unix(int64(sec), int64(frac*1e9)).Sub(now)), maxWait)
			}
			return Seconds(n)
		}
	}
	return 0
}

// maxWait caps a vendor-given wait: far longer than any --timeout, so such
// a wait ends the call at once, and far from overflowing a Duration.
const maxWait = 100 * 365 * 24 * time.Hour

// Seconds converts a vendor's non-negative number of seconds to a wait,
// capped at maxWait (which also catches +Inf).
func Seconds(s float64) time.Duration {
	if s >= maxWait.Seconds() {
		return maxWait
	}
	return time.Duration(s * float64(time.Second))
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
