package alibabadms

import (
	"strings"
	"testing"
)

func TestValidateCron(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want string // "" = valid, else a substring of the error
	}{
		// valid
		{"0 0 0 ? * 1-7", ""}, // the document's example
		{"0 0 9 ? * 2-6", ""},
		{"0 0 9 ? * MON-FRI", ""},
		{"0 0 9 ? * mon,wed,fri", ""},
		{"0 30 8 1 * ?", ""},
		{"0 0/15 * * * ?", ""},
		{"*/10 * * * * ?", ""},
		{"0 0 12 L * ?", ""},
		{"0 0 12 LW * ?", ""},
		{"0 0 12 L-3 * ?", ""},
		{"0 0 12 15W * ?", ""},
		{"0 0 12 ? * 6L", ""},
		{"0 0 12 ? * 2#1", ""},
		{"0 0 12 ? JAN-MAR,DEC 1", ""},
		{"0 0 12 1,15 * ? 2026", ""},
		{"0 0 12 ? * * 2026-2030", ""},
		{"  0  0 0 ? * 1-7 ", ""}, // extra spaces
		{"0 0 22-2 ? * *", ""},    // wrapping range
		{"0 0 12 l * ?", ""},      // Quartz upper-cases the expression
		{"0 0 12 15w * ?", ""},
		{"0 0 12 ? * 6l", ""},
		{"0/59 0/59 0/23 ? * *", ""}, // the largest steps Quartz takes
		// invalid
		{"", "want 6 or 7"},
		{"0 0 * * *", "want 6 or 7"},            // Unix 5-field
		{"0 0 0 ? * 1-7 2026 x", "want 6 or 7"}, // 8 fields
		{"60 0 0 ? * *", "seconds"},
		{"0 60 0 ? * *", "minutes"},
		{"0 0 24 ? * *", "hours"},
		{"0 0 0 32 * ?", "day-of-month"},
		{"0 0 0 0 * ?", "day-of-month"},
		{"0 0 0 ? 13 *", "month"},
		{"0 0 0 ? FOO *", "month"},
		{"0 0 0 ? * 8", "day-of-week"},
		{"0 0 0 ? * 0", "Quartz numbers days 1=SUN to 7=SAT"}, // Unix cron's Sunday
		{"0 0 0 ? * 2#6", "day#n"},
		{"0 0 0 ? * * 1969", "year"},
		{"? 0 0 1 * *", "only in day-of-month and day-of-week"},
		{"0 0 0 * * *", "exactly one"},
		{"0 0 0 ? * ?", "exactly one"},
		{"0 0 0 1 * 2", "exactly one"},
		{"0 0/0 * ? * *", "step"},
		{"0 0/61 * ? * *", "step"},
		{"0/60 0 0 ? * *", "step"},
		{"0 0 0/24 ? * *", "step"},
		{"0 0,,5 * ? * *", "empty list item"},
		{"0 0 0 ?,1 * *", "whole field"},
		{"0 0 0 L-31 * ?", "L-n"},
		{"0 0 0 ? * MON#", "day#n"},
		{"0 -5 0 ? * *", "minutes"},
		{"0 +5 0 ? * *", "minutes"},
		{"0 0 0 ? * 1-7; rm -rf", "want 6 or 7"},
		{"a b c d e f", "seconds"},
	} {
		err := validateCron(tc.expr)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tc.expr, err)
		case tc.want != "" && err == nil:
			t.Errorf("%q: accepted, want an error mentioning %q", tc.expr, tc.want)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%q: error %q does not mention %q", tc.expr, err, tc.want)
		}
	}
}

// TestPrepareNormalisesCron: Check accepts any whitespace between fields, so
// what is sent must be what Quartz reads: single spaces.
func TestPrepareNormalisesCron(t *testing.T) {
	r := &Request{ScheduleTaskConfig: &ScheduleTaskConfig{CronExpression: "0\t0 0\n? *   1-7 "}}
	if errs := (&Provider{}).Check(r); len(errs) != 0 {
		t.Fatalf("Check: %v", errs)
	}
	if err := (&Provider{}).Prepare(r); err != nil {
		t.Fatal(err)
	}
	if got := r.ScheduleTaskConfig.CronExpression; got != "0 0 0 ? * 1-7" {
		t.Errorf("CronExpression sent as %q, want %q", got, "0 0 0 ? * 1-7")
	}
}

// A 5-field expression is most likely Unix cron: the refusal says how to
// convert it, day numbers included.
func TestUnixCronSaysHowToConvert(t *testing.T) {
	err := validateCron("30 8 * * 1-5")
	want := "prepend a seconds field (0), put ? in day-of-month or day-of-week, and number days 1=SUN..7=SAT (Mon-Fri is 2-6 or MON-FRI)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v lacks %q", err, want)
	}
	// The converted example it gives is valid.
	if err := validateCron("0 30 8 ? * MON-FRI"); err != nil {
		t.Error(err)
	}
	// Other counts are not told about Unix cron.
	if err := validateCron("0 0 0 ? * 1-7 2026 x"); err == nil || strings.Contains(err.Error(), "Unix") {
		t.Errorf("8 fields: %v", err)
	}
}
