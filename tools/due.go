package tools

import (
	"context"
	"time"
)

// answerDueKey is the context key of WithAnswerDue.
type answerDueKey struct{}

// WithAnswerDue returns ctx carrying due, which a call runs with a later
// time by which its answer may be written, when it has one: a call that
// waits for an identical one, and one sent after such a wait with its whole
// --timeout. The HTTP transport moves its write deadline by it.
func WithAnswerDue(ctx context.Context, due func(time.Time)) context.Context {
	return context.WithValue(ctx, answerDueKey{}, due)
}

// answerDue tells ctx's transport, if it asked, that the answer may come as
// late as t.
func answerDue(ctx context.Context, t time.Time) {
	if due, ok := ctx.Value(answerDueKey{}).(func(time.Time)); ok {
		due(t)
	}
}
