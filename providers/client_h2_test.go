package providers

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// h2Vendor speaks just enough HTTP/2, in raw frames, to reset a stream with
// PROTOCOL_ERROR once it has the whole first request (as a proxy does when
// the upstream answer is malformed), which Go's transport treats as safe to
// send again. Later requests get 200 {"id":"agt_2"}. requests counts them.
type h2Vendor struct {
	requests atomic.Int32
}

func (v *h2Vendor) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go v.conn(c)
	}
}

func writeFrame(w io.Writer, typ, flags byte, stream uint32, payload []byte) error {
	h := make([]byte, 9, 9+len(payload))
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream)
	_, err := w.Write(append(h, payload...))
	return err
}

func (v *h2Vendor) conn(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	if _, err := io.ReadFull(r, make([]byte, 24)); err != nil { // the client preface
		return
	}
	const (
		frameData, frameHeaders, frameRST, frameSettings, framePing = 0x0, 0x1, 0x3, 0x4, 0x6
		flagAck, flagEndStream, flagEndHeaders                      = 0x1, 0x1, 0x4
	)
	_ = writeFrame(c, frameSettings, 0, 0, nil)
	for {
		h := make([]byte, 9)
		if _, err := io.ReadFull(r, h); err != nil {
			return
		}
		typ, flags := h[3], h[4]
		stream := binary.BigEndian.Uint32(h[5:]) & 0x7fffffff
		payload := make([]byte, int(h[0])<<16|int(h[1])<<8|int(h[2]))
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		switch typ {
		case frameSettings:
			if flags&flagAck == 0 {
				_ = writeFrame(c, frameSettings, flagAck, 0, nil)
			}
			continue
		case framePing:
			if flags&flagAck == 0 {
				_ = writeFrame(c, framePing, flagAck, 0, payload)
			}
			continue
		case frameHeaders:
			v.requests.Add(1)
		}
		if (typ == frameData || typ == frameHeaders) && flags&flagEndStream != 0 {
			if v.requests.Load() == 1 {
				_ = writeFrame(c, frameRST, 0, stream, []byte{0, 0, 0, 1}) // PROTOCOL_ERROR
				continue
			}
			_ = writeFrame(c, frameHeaders, flagEndHeaders, stream, []byte{0x88}) // :status 200, HPACK static entry 8
			_ = writeFrame(c, frameData, flagEndStream, stream, []byte(`{"id":"agt_2","name":"n"}`))
		}
	}
}

// TestDoHTTP2ResetIsNotSentAgain: a create without an id reaches the vendor
// once. Go's HTTP/2 transport sends a request again by itself after a reset
// stream when it can rewind the body, which would make a second agent that
// the call reports as its one attempt.
func TestDoHTTP2ResetIsNotSentAgain(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS() // for its certificate, valid for 127.0.0.1
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: ts.TLS.Certificates, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	v := &h2Vendor{}
	go v.serve(ln)

	c := NewClient("agentmcp/test")
	c.HTTP.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Do(ctx, testCall("https://"+ln.Addr().String()+"/agents", false))
	if n := v.requests.Load(); n != 1 {
		t.Fatalf("the vendor got %d requests for one create without an id, want 1 (attempts %d, err %v)", n, res.Attempts, err)
	}
	var u *UnknownOutcomeError
	if !errors.As(err, &u) {
		t.Fatalf("err = %v (%T), want an unknown outcome", err, err)
	}
}
