package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/bench/internal/poster"
)

// sent is one request as the vendor got it.
type sent struct {
	header http.Header
	body   []byte
}

// recorder is a vendor that answers 201 and keeps every request.
func recorder(t *testing.T) (*httptest.Server, func() []sent) {
	t.Helper()
	var mu sync.Mutex
	var got []sent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, sent{r.Header.Clone(), body})
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"agt_1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []sent {
		mu.Lock()
		defer mu.Unlock()
		return append([]sent(nil), got...)
	}
}

// TestDirectIsTheFloorsPOST: the direct POST sends the vendor the request
// the floor's handler sends for the same call (headers, body, and the name
// made the call's own), whatever the provider's arguments, and gives each
// call a name of its own.
func TestDirectIsTheFloorsPOST(t *testing.T) {
	vendor, got := recorder(t)
	b := &bench{directClient: poster.NewClient(100), vendor: &fakeVendor{srv: vendor}}
	floor := poster.Handler(b.vendorURL(), dummyKey, 100)
	for _, slug := range app.Slugs() {
		args, ok := exampleArgs(t, slug)
		if !ok {
			continue
		}
		t.Run(slug, func(t *testing.T) {
			before := len(got())
			// The floor's call as mcp-go hands it to the handler: the
			// params a bench client sends, decoded.
			var req mcp.CallToolRequest
			if err := json.Unmarshal(numbered(callParams("create_agent", args), "tag", 7), &req.Params); err != nil {
				t.Fatal(err)
			}
			if res, err := floor(context.Background(), req); err != nil || res.IsError {
				t.Fatalf("floor: %v %+v", err, res)
			}
			d := b.direct(args)
			d.tag, d.id = "tag", 6
			for range 2 {
				if err := d.callTool(); err != nil {
					t.Fatalf("direct: %v", err)
				}
			}
			reqs := got()[before:]
			if len(reqs) != 3 {
				t.Fatalf("%d requests, want 3", len(reqs))
			}
			floorReq, directReq, next := reqs[0], reqs[1], reqs[2]
			if !bytes.Equal(floorReq.body, directReq.body) {
				t.Errorf("bodies differ:\nfloor  %s\ndirect %s", floorReq.body, directReq.body)
			}
			if !strings.Contains(string(directReq.body), "tag-7") || bytes.Equal(directReq.body, next.body) {
				t.Errorf("the direct POST's name is not its own:\n%s\n%s", directReq.body, next.body)
			}
			for k := range mergeKeys(floorReq.header, directReq.header) {
				if f, d := floorReq.header.Values(k), directReq.header.Values(k); strings.Join(f, "\n") != strings.Join(d, "\n") {
					t.Errorf("header %s: floor %q, direct %q", k, f, d)
				}
			}
		})
	}
	if b.directClient.Timeout != poster.Timeout {
		t.Errorf("direct client timeout %s, the floor's is %s", b.directClient.Timeout, poster.Timeout)
	}
}

func mergeKeys(hs ...http.Header) map[string]bool {
	out := map[string]bool{}
	for _, h := range hs {
		for k := range h {
			out[k] = true
		}
	}
	return out
}

// TestEveryCallNamed: the name of every provider's example arguments is
// marked for numbering, whatever the provider calls the field.
func TestEveryCallNamed(t *testing.T) {
	for _, slug := range app.Slugs() {
		args, ok := exampleArgs(t, slug)
		if !ok {
			continue
		}
		if p := callParams("create_agent_"+slug, args); !bytes.Contains(p, []byte(nameMark)) {
			t.Errorf("%s: no name marked in %s", slug, p)
		}
	}
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"Name": "a", "x": 1}, "Name"},
		{map[string]any{"agent_name": "a", "displayName": "b"}, "agent_name"},
		{map[string]any{"name": 3, "title": "a"}, ""},
		{map[string]any{"name": "a", "agent_name": "b"}, "name"},
	} {
		if got := nameKey(c.args); got != c.want {
			t.Errorf("nameKey(%v) = %q, want %q", c.args, got, c.want)
		}
	}
}
