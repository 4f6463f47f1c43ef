package app

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// parseLevel reads --log-level; blank is info.
func parseLevel(level string) (zerolog.Level, error) {
	if strings.TrimSpace(level) == "" {
		return zerolog.InfoLevel, nil
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(strings.TrimSpace(level)))
	if err != nil {
		return lvl, fmt.Errorf("--log-level %q: want trace, debug, info, warn, error or disabled", level)
	}
	return lvl, nil
}

// NewLogger writes to logFile when set, else to stderr: human-readable on a
// terminal, JSON otherwise. Never stdout: in stdio mode it carries JSON-RPC.
// The returned closer closes the log file, if any.
func NewLogger(level, logFile string, stderr io.Writer) (zerolog.Logger, io.Closer, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return zerolog.Nop(), nil, err
	}
	w := stderr
	var closer io.Closer = io.NopCloser(nil)
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return zerolog.Nop(), nil, fmt.Errorf("--log-file: %w", err)
		}
		w, closer = f, f
	} else if f, ok := stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		w = zerolog.ConsoleWriter{Out: stderr, TimeFormat: "15:04:05", NoColor: !colorConsole(f)}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), closer, nil
}
