package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// connPool is the sender's side of one target: keep-alive HTTP/1.1
// connections, each carrying one request at a time. It stands in for
// net/http's Transport, which hands every request to a writer goroutine and
// every answer back from a reader goroutine: on a virtual machine where a
// thread wake-up costs tens of microseconds, those handoffs were most of the
// send lag. Here the pacing goroutine writes each request itself, in one
// system call, and a goroutine per connection, already waiting on the socket,
// reads the answer.
type connPool struct {
	addr    string // host:port
	timeout time.Duration
	max     int
	dials   atomic.Int64

	mu    sync.Mutex
	idle  []*wire // last in, first out: the fewest connections stay warm
	open  int
	avail chan struct{} // a connection went back to idle
	all   map[*wire]bool
}

// wire is one connection and the request it carries, if any.
type wire struct {
	pool *connPool
	c    net.Conn
	br   *bufio.Reader

	mu   sync.Mutex
	cur  *flight // set by the sender before it writes; taken by the reader
	dead bool    // the reader has stopped; no request may be put on it
}

// flight is one request on the wire: where its outcome goes.
type flight struct {
	scheduled time.Time
	start     time.Time
	out       *sample
	done      func()
	// pending counts the sender and the reader: the answer may be read before
	// the sender has recorded its write, so done runs after the last of both.
	pending atomic.Int32
}

func (f *flight) release() {
	if f.pending.Add(-1) == 0 {
		f.done()
	}
}

// newConnPool dials rawURL's host (it must be http) on demand, at most max
// connections at once: when a target stalls, requests wait for a connection
// (and their lag and latency say so) instead of opening thousands.
func newConnPool(rawURL string, max int, timeout time.Duration) (*connPool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http URL", rawURL)
	}
	return &connPool{addr: u.Host, timeout: timeout, max: max, avail: make(chan struct{}, 1), all: map[*wire]bool{}}, nil
}

// errPoolClosed says the pool was closed while a request waited for a connection.
var errPoolClosed = errors.New("connection pool closed")

// get returns an idle connection, or a new one, or waits for one.
func (p *connPool) get(ctx context.Context) (*wire, error) {
	for {
		p.mu.Lock()
		if p.all == nil {
			p.mu.Unlock()
			return nil, errPoolClosed
		}
		if n := len(p.idle); n > 0 {
			w := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			return w, nil
		}
		if p.open < p.max {
			p.open++
			p.mu.Unlock()
			w, err := p.dial(ctx)
			if err != nil {
				p.mu.Lock()
				p.open--
				p.mu.Unlock()
			}
			return w, err
		}
		p.mu.Unlock()
		select {
		case <-p.avail:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (p *connPool) dial(ctx context.Context) (*wire, error) {
	p.dials.Add(1)
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true) // Go's default, said aloud: each request goes out whole at once
	}
	w := &wire{pool: p, c: c, br: bufio.NewReaderSize(c, 16<<10)}
	p.mu.Lock()
	if p.all == nil {
		p.mu.Unlock()
		c.Close()
		return nil, errPoolClosed
	}
	p.all[w] = true
	p.mu.Unlock()
	go w.readLoop()
	return w, nil
}

// put makes w available again.
func (p *connPool) put(w *wire) {
	p.mu.Lock()
	if p.all == nil || !p.all[w] {
		p.mu.Unlock()
		w.c.Close()
		return
	}
	p.idle = append(p.idle, w)
	p.mu.Unlock()
	select {
	case p.avail <- struct{}{}:
	default:
	}
}

// drop forgets w, which is closed.
func (p *connPool) drop(w *wire) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.all == nil || !p.all[w] {
		return
	}
	delete(p.all, w)
	p.open--
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	select {
	case p.avail <- struct{}{}: // a slot for a new connection
	default:
	}
}

// Close closes every connection; requests in flight end as errors.
func (p *connPool) Close() {
	p.mu.Lock()
	all := p.all
	p.all, p.idle = nil, nil
	p.mu.Unlock()
	for w := range all {
		w.c.Close()
	}
}

// send writes req, made ready before the clock started, on w; the reader
// completes f. The sample's lag and write time are set here: how late the
// request was handed to the kernel, and how long the kernel took to take it,
// which on loopback includes the receiving side's TCP processing.
func (w *wire) send(f *flight, req [][]byte) {
	w.mu.Lock()
	if w.dead {
		w.mu.Unlock()
		f.pending.Store(1)
		f.out.lag = time.Since(f.scheduled)
		f.finish(time.Since(f.start), 0, true)
		return
	}
	f.pending.Store(2)
	w.cur = f
	w.mu.Unlock()
	// A deadline for the write and for the answer; the reader lifts it once
	// the answer is in.
	_ = w.c.SetDeadline(f.scheduled.Add(w.pool.timeout))
	bufs := net.Buffers(req)
	lag := time.Since(f.scheduled)
	if _, err := bufs.WriteTo(w.c); err != nil {
		w.c.Close() // the reader sees it and ends the flight as an error
	}
	f.out.lag = lag
	f.out.write = time.Since(f.scheduled) - lag
	f.release()
}

// readLoop waits on the socket, so that an answer wakes it directly, and
// ends each request put on the wire. It stops, and the connection with it,
// on any error, or when the server asks to close.
func (w *wire) readLoop() {
	for {
		_, err := w.br.Peek(1)
		w.mu.Lock()
		f := w.cur
		w.cur = nil
		if err != nil || f == nil {
			w.dead = true
		}
		w.mu.Unlock()
		if err != nil || f == nil {
			// An idle connection the server closed, or bytes nobody asked for.
			w.c.Close()
			w.pool.drop(w)
			if f != nil {
				f.finish(time.Since(f.start), 0, true)
			}
			return
		}
		status, keep, err := readAnswer(w.br)
		f.finish(time.Since(f.start), status, err != nil)
		if err != nil || !keep {
			w.mu.Lock()
			w.dead = true
			w.mu.Unlock()
			w.c.Close()
			w.pool.drop(w)
			return
		}
		_ = w.c.SetDeadline(time.Time{})
		w.pool.put(w)
	}
}

// readAnswer reads one response to the end and says whether the connection
// may carry another.
func readAnswer(br *bufio.Reader) (status int, keep bool, err error) {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp.StatusCode, false, err
	}
	return resp.StatusCode, !resp.Close, nil
}

// finish records the outcome; end is the completion time from the run's start.
func (f *flight) finish(end time.Duration, status int, failed bool) {
	f.out.end = end
	f.out.latency = time.Since(f.scheduled)
	f.out.status = status
	f.out.err = failed
	f.release()
}
