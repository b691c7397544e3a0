package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// byteBudget is one memory budget shared by every request body in flight, so
// that many large bodies at once are refused instead of exhausting the pod.
type byteBudget struct {
	limit int64
	used  atomic.Int64
}

func newByteBudget(limit int64) *byteBudget { return &byteBudget{limit: limit} }

// reserve takes n bytes from the budget, or nothing when they do not fit.
func (b *byteBudget) reserve(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// free is what the budget has left at this moment.
func (b *byteBudget) free() int64 { return b.limit - b.used.Load() }

func (b *byteBudget) release(n int64) {
	if n > 0 {
		b.used.Add(-n)
	}
}

// Errors of readSigned, each answered with its own status.
var (
	errOverBudget = errors.New("request bodies in flight exceed the memory budget")
	errTooLarge   = errors.New("payload larger than 25 MiB")
)

// Chunk sizes for bodies of unknown length: small first, so that a flood of
// short-lived chunked requests holds little, then larger to keep the count low.
const (
	firstChunk = 32 << 10
	maxChunk   = 1 << 20
)

// signedBody is a request body read under the budget, with the HMAC computed as
// it was read. Its reservation is held until release.
type signedBody struct {
	bytes    []byte
	pooled   *[]byte // the pool's buffer behind bytes, if it came from there
	mac      []byte
	budget   *byteBudget
	reserved int64
	sum      [sha256.Size]byte // backs mac
}

// pooledBody is the largest body read into a pooled buffer: most deliveries
// are a few kilobytes, and the few large ones should not pin large buffers.
const pooledBody = 64 << 10

var bodyPool = sync.Pool{New: func() any { b := make([]byte, pooledBody); return &b }}

// macPool keeps HMAC states keyed with the webhook secret, reset for each use.
type macPool struct{ p sync.Pool }

func newMACPool(secret []byte) *macPool {
	mp := &macPool{}
	mp.p.New = func() any { return hmac.New(sha256.New, secret) }
	return mp
}

func (mp *macPool) get() hash.Hash { return mp.p.Get().(hash.Hash) }

func (mp *macPool) put(h hash.Hash) {
	h.Reset()
	mp.p.Put(h)
}

// recycle returns a pooled buffer once nothing refers to the body any more.
func (s *signedBody) recycle() {
	if s != nil && s.pooled != nil {
		bodyPool.Put(s.pooled)
		s.pooled, s.bytes = nil, nil
	}
}

func (s *signedBody) release() {
	if s != nil && s.budget != nil {
		s.budget.release(s.reserved)
		s.reserved = 0
	}
}

// readSigned reads at most limit bytes of r into memory taken from budget and
// computes its HMAC-SHA256 on the way. A small body of known length goes into
// a pooled buffer, whose whole size is reserved before the first byte is
// read. Any other body is read in growing chunks, each reserved as it is about
// to be read, and joined only once the signature matches, so a forged body is
// never copied and a connection that declares a length but sends nothing holds
// nothing; a declared length that the budget cannot hold is refused unread.
func readSigned(r io.Reader, length int64, limit int64, macs *macPool, want []byte, budget *byteBudget) (*signedBody, error) {
	mac := macs.get()
	defer macs.put(mac)
	sb := &signedBody{budget: budget}
	if length >= 0 {
		if length > limit {
			return nil, errTooLarge
		}
		if length <= pooledBody {
			if !budget.reserve(pooledBody) {
				return nil, errOverBudget
			}
			sb.reserved = pooledBody
			sb.pooled = bodyPool.Get().(*[]byte)
			sb.bytes = (*sb.pooled)[:length]
			if _, err := io.ReadFull(r, sb.bytes); err != nil {
				sb.recycle()
				sb.release()
				return nil, err
			}
			mac.Write(sb.bytes)
			sb.mac = mac.Sum(sb.sum[:0])
			return sb, nil
		}
		if length > budget.free() {
			return nil, errOverBudget
		}
		limit = length
	}
	chunks, err := readChunks(r, limit, mac, sb)
	if err == nil && length >= 0 && sumLen(chunks) != length {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		sb.release()
		return nil, err
	}
	sb.mac = mac.Sum(sb.sum[:0])
	switch {
	case len(chunks) == 1:
		sb.bytes = chunks[0]
	case len(chunks) > 1 && hmac.Equal(sb.mac, want):
		total := sumLen(chunks)
		if !budget.reserve(total) {
			sb.release()
			return nil, errOverBudget
		}
		sb.bytes = make([]byte, 0, total)
		for _, c := range chunks {
			sb.bytes = append(sb.bytes, c...)
		}
		budget.release(sb.reserved)
		sb.reserved = total
	}
	return sb, nil
}

func sumLen(chunks [][]byte) int64 {
	var n int64
	for _, c := range chunks {
		n += int64(len(c))
	}
	return n
}

func readChunks(r io.Reader, limit int64, mac hash.Hash, sb *signedBody) ([][]byte, error) {
	var chunks [][]byte
	var total int64
	size := int64(firstChunk)
	for {
		n := min(size, limit+1-total)
		if n <= 0 {
			return nil, errTooLarge
		}
		if !sb.budget.reserve(n) {
			return nil, errOverBudget
		}
		sb.reserved += n
		c := make([]byte, n)
		got, err := io.ReadFull(r, c)
		c = c[:got]
		if got > 0 {
			mac.Write(c)
			chunks = append(chunks, c)
			total += int64(got)
		}
		if total > limit {
			return nil, errTooLarge
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return chunks, nil
		case err != nil:
			return nil, err
		}
		size = min(size*2, maxChunk)
	}
}
