package providers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDoSpeaksHTTP1: a vendor that offers HTTP/2 is spoken to in HTTP/1.1.
// Go's HTTP/2 transport sends a request again by itself after some stream
// resets, even once the vendor has all of it (always for a request with no
// body, Alibaba's): a create without an id could reach the vendor twice and
// be reported as one attempt.
func TestDoSpeaksHTTP1(t *testing.T) {
	var proto string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto = r.Proto
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"agt_1","name":"n"}`))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := NewClient("agentmcp/test")
	c.HTTP.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
	for _, body := range [][]byte{[]byte(`{}`), nil} {
		call := testCall(srv.URL+"/agents", false)
		build := call.Build
		call.Build = func(at Attempt) (*Outgoing, error) {
			out, err := build(at)
			if err == nil {
				out.Body = body
			}
			return out, err
		}
		if _, err := c.Do(context.Background(), call); err != nil {
			t.Fatal(err)
		}
		if proto != "HTTP/1.1" {
			t.Errorf("body %q: the vendor was spoken to in %s, want HTTP/1.1", body, proto)
		}
	}
}
