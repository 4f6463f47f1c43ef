package alibabadms

import (
	"fmt"
	"strconv"
	"strings"
)

// The document's only cron example, "0 0 0 ? * 1-7", is Quartz style:
// seconds minutes hours day-of-month month day-of-week [year], with "?" for
// "no specific value". Quartz requires "?" in exactly one of day-of-month and
// day-of-week; other Quartz-like parsers read "?" as "*", so insisting on it
// costs nothing and saves a server-side refusal.

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i (JAN=1, SUN=1)
	question bool     // "?" allowed
	dom, dow bool     // day-of-month (L, LW, L-n, nW) / day-of-week (L, nL, n#k) specials
}

var cronFields = []cronField{
	{name: "seconds", min: 0, max: 59},
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31, question: true, dom: true},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, question: true, dow: true},
	{name: "year", min: 1970, max: 2099},
}

// validateCron checks the Quartz form: 6 or 7 space-separated fields, each a
// comma list of *, values, ranges a-b and steps x/n within the field's range.
func validateCron(expr string) error {
	// Quartz upper-cases the expression before parsing it: 6l and 15w are valid.
	fields := strings.Fields(strings.ToUpper(expr))
	if len(fields) != 6 && len(fields) != 7 {
		err := fmt.Errorf("want 6 or 7 space-separated fields (seconds minutes hours day-of-month month day-of-week [year]), got %d", len(fields))
		if len(fields) == 5 {
			// Likely Unix cron, whose day numbers are not Quartz's.
			err = fmt.Errorf("%w; from Unix cron: prepend a seconds field (0), put ? in day-of-month or day-of-week, "+
				"and number days 1=SUN..7=SAT (Mon-Fri is 2-6 or MON-FRI): Unix 30 8 * * 1-5 is 0 30 8 ? * MON-FRI", err)
		}
		return err
	}
	for i, f := range fields {
		spec := cronFields[i]
		if err := spec.validate(f); err != nil {
			return fmt.Errorf("%s field %q: %w", spec.name, f, err)
		}
	}
	if (fields[3] == "?") == (fields[5] == "?") {
		return fmt.Errorf("put ? in exactly one of day-of-month and day-of-week (e.g. 0 0 9 ? * 2-6 or 0 0 9 1 * ?)")
	}
	return nil
}

func (f cronField) validate(s string) error {
	if s == "?" {
		if !f.question {
			return fmt.Errorf("? is allowed only in day-of-month and day-of-week")
		}
		return nil
	}
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return fmt.Errorf("empty list item")
		}
		if item == "?" {
			return fmt.Errorf("? must be the whole field")
		}
		if err := f.item(item); err != nil {
			return err
		}
	}
	return nil
}

func (f cronField) item(s string) error {
	switch {
	case f.dom && (s == "L" || s == "LW"):
		return nil
	case f.dom && strings.HasPrefix(s, "L-"):
		n, err := strconv.Atoi(s[2:])
		if err != nil || n < 0 || n > 30 {
			return fmt.Errorf("L-n needs n between 0 and 30")
		}
		return nil
	case f.dom && strings.HasSuffix(s, "W"):
		return f.value(strings.TrimSuffix(s, "W"))
	case f.dow && s == "L":
		return nil
	case f.dow && strings.HasSuffix(s, "L"):
		return f.value(strings.TrimSuffix(s, "L"))
	case f.dow && strings.Contains(s, "#"):
		day, nth, _ := strings.Cut(s, "#")
		if n, err := strconv.Atoi(nth); err != nil || n < 1 || n > 5 {
			return fmt.Errorf("day#n needs n between 1 and 5")
		}
		return f.value(day)
	}
	base, step, hasStep := strings.Cut(s, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		// Quartz's own bound: 59 for seconds and minutes, 23 for hours, 31 for days.
		if err != nil || n < 1 || n > f.max {
			return fmt.Errorf("step %q must be a number from 1 to %d", step, f.max)
		}
	}
	if base == "*" {
		return nil
	}
	if lo, hi, isRange := strings.Cut(base, "-"); isRange {
		if err := f.value(lo); err != nil {
			return err
		}
		return f.value(hi)
	}
	return f.value(base)
}

// value checks one number or name (month and day names, any case).
func (f cronField) value(s string) error {
	if n, err := strconv.Atoi(s); err == nil && s != "" && s[0] != '+' && s[0] != '-' {
		if n < f.min || n > f.max {
			if f.dow {
				// Unix cron's 0 (and 7) is Sunday; Quartz's 7 is Saturday:
				// "fixing" a 0 to 7 would move the schedule a day.
				return fmt.Errorf("%d is outside 1-7: Quartz numbers days 1=SUN to 7=SAT (Unix cron's 0 for Sunday is 1 here), or use the names SUN-SAT", n)
			}
			return fmt.Errorf("%d is outside %d-%d", n, f.min, f.max)
		}
		return nil
	}
	for _, name := range f.names {
		if strings.EqualFold(s, name) {
			return nil
		}
	}
	if len(f.names) > 0 {
		return fmt.Errorf("%q is not a number from %d to %d nor a name (%s-%s)", s, f.min, f.max, f.names[0], f.names[len(f.names)-1])
	}
	return fmt.Errorf("%q is not a number from %d to %d", s, f.min, f.max)
}
