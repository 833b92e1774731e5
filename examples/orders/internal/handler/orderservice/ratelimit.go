package orderservice

import (
	"container/list"
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/new-service/new-service/examples/orders/apierr"
	"github.com/new-service/new-service/examples/orders/internal/deps"
	"github.com/new-service/new-service/examples/orders/internal/platform"
)

// defaultMaxCallers bounds how many callers' buckets a writeLimiter keeps:
// about 25 MB at most. Past it the least recently seen caller is forgotten,
// which at worst gives it a fresh burst.
const defaultMaxCallers = 100_000

// writeLimiter gives each caller a token bucket: a write takes a token, a
// caller with none left gets RESOURCE_EXHAUSTED (QUOTA_EXCEEDED) and is
// told in a google.rpc.RetryInfo when the next one comes. A nil
// *writeLimiter allows everything.
//
// The caller is the one the server established for the call
// (platform.CallerFrom), the same the access log and the authorization
// policy see: the identity of its client certificate under mTLS, else its
// address (an IPv6 client by its /64, the block one host gets, so that it
// cannot step around its limit by changing addresses). A REST call is the
// HTTP client's address, which the service's own gateway vouches for; an
// x-forwarded-for sent by anyone but a proxy in TRUSTED_PROXIES is
// ignored, so a caller cannot pick a fresh bucket by naming another
// address.
//
// A bucket unused for as long as it takes to fill is full again, no
// different from a new one, so it is forgotten then: memory follows the
// callers of the last few seconds, up to maxCallers.
type writeLimiter struct {
	rate       deps.Rate
	limit      rate.Limit
	now        func() time.Time
	idle       time.Duration // how long an empty bucket takes to fill
	maxCallers int

	mu      sync.Mutex
	buckets map[string]*list.Element
	lru     list.List // of *bucket, most recently used first
}

type bucket struct {
	caller string
	tokens *rate.Limiter
	last   time.Time
}

// newWriteLimiter returns a limiter of r per caller, reading time from
// now; nil when r is no limit.
func newWriteLimiter(r deps.Rate, now func() time.Time) *writeLimiter {
	perSecond := r.PerSecond()
	if perSecond == 0 {
		return nil
	}
	// A burst of 0 would refuse every write; deps.ParseRate never makes
	// one, but a Deps built by hand might.
	r.Burst = max(1, r.Burst)
	// The cap (146 years) keeps the conversion defined for absurd rates.
	fill := min(math.Ceil(float64(r.Burst)/perSecond*float64(time.Second)), 1<<62)
	return &writeLimiter{
		rate:       r,
		limit:      rate.Limit(perSecond),
		now:        now,
		idle:       time.Duration(fill),
		maxCallers: defaultMaxCallers,
		buckets:    map[string]*list.Element{},
	}
}

// allow takes a token from the bucket of ctx's caller, or returns
// RESOURCE_EXHAUSTED if there is none.
func (l *writeLimiter) allow(ctx context.Context) error {
	if l == nil {
		return nil
	}
	caller := callerOf(ctx)
	wait := l.take(caller)
	if wait == 0 {
		return nil
	}
	return apierr.ResourceExhausted("too many writes from %s: the limit per caller is %s; retry in %v", caller, l.rate, wait).
		WithReason("QUOTA_EXCEEDED").
		WithMetadata("caller", caller, "limit", l.rate.String()).
		WithQuotaViolation("client:"+caller, "writes to OrderService per client: "+l.rate.String()).
		WithRetryDelay(wait)
}

// take takes a token from caller's bucket and returns 0, or returns how
// long until the bucket has one, to the millisecond, rounded up so that a
// caller who waits that long succeeds.
func (l *writeLimiter) take(caller string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetIdleLocked(now)
	b := l.bucketLocked(caller, now)
	if b.tokens.AllowN(now, 1) {
		return 0
	}
	missing := 1 - b.tokens.TokensAt(now)
	// Rounding to the microsecond first drops float noise, which would
	// otherwise turn an exact 50ms into 51.
	wait := time.Duration(math.Round(missing/float64(l.limit)*1e6)) * time.Microsecond
	return max(time.Millisecond, (wait + time.Millisecond - 1).Truncate(time.Millisecond))
}

// bucketLocked returns caller's bucket, made full if it had none, and
// marks it used now.
func (l *writeLimiter) bucketLocked(caller string, now time.Time) *bucket {
	if e, ok := l.buckets[caller]; ok {
		l.lru.MoveToFront(e)
		b := e.Value.(*bucket)
		b.last = now
		return b
	}
	if l.lru.Len() >= l.maxCallers {
		l.removeLocked(l.lru.Back())
	}
	b := &bucket{caller: caller, tokens: rate.NewLimiter(l.limit, l.rate.Burst), last: now}
	l.buckets[caller] = l.lru.PushFront(b)
	return b
}

// forgetIdleLocked forgets the buckets that are full again. They sit at
// the back: the least recently used went longest without a take.
func (l *writeLimiter) forgetIdleLocked(now time.Time) {
	for e := l.lru.Back(); e != nil && now.Sub(e.Value.(*bucket).last) >= l.idle; e = l.lru.Back() {
		l.removeLocked(e)
	}
}

func (l *writeLimiter) removeLocked(e *list.Element) {
	delete(l.buckets, l.lru.Remove(e).(*bucket).caller)
}

// callerOf returns who makes the call in ctx: the caller the server
// established for it (platform.CallerFrom), by its Key.
func callerOf(ctx context.Context) string {
	return platform.CallerFrom(ctx).Key()
}
