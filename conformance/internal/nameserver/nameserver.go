// Package nameserver is a tiny authoritative DNS server for tests. It
// answers A queries for one name with the addresses it currently holds, so
// that grpc's real dns:/// resolver can be pointed at it
// ("dns://127.0.0.1:PORT/name:port") the way a client in Kubernetes is
// pointed at a headless Service: the answer changes as replicas come and
// go, and the client sees the change when it re-resolves.
//
// It answers over UDP and TCP on one loopback port. Queries for the name of
// any other type (AAAA, TXT for a gRPC service config) get an empty
// authoritative answer; queries for other names get NXDOMAIN.
package nameserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Server serves one name's A records on 127.0.0.1.
type Server struct {
	name  string // lower case, fully qualified (trailing dot)
	udp   net.PacketConn
	tcp   net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	addrs []netip.Addr

	lookups atomic.Int64
}

// Start serves name (such as "orders.conformance.test") on a free port of
// 127.0.0.1 with no addresses yet; [Server.Set] gives it some.
func Start(name string) (*Server, error) {
	s := &Server{name: strings.ToLower(strings.TrimSuffix(name, ".")) + "."}
	// UDP first, then TCP on the same port number; another process may hold
	// that TCP port, so try a few.
	var err error
	for range 10 {
		s.udp, err = net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("listen for DNS over UDP: %w", err)
		}
		s.tcp, err = net.Listen("tcp4", s.udp.LocalAddr().String())
		if err == nil {
			break
		}
		s.udp.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("listen for DNS over TCP: %w", err)
	}
	s.wg.Go(s.serveUDP)
	s.wg.Go(s.serveTCP)
	return s, nil
}

// Addr returns the server's address, "127.0.0.1:PORT": the authority of a
// dns:// target.
func (s *Server) Addr() string { return s.udp.LocalAddr().String() }

// Set replaces the addresses the name resolves to (IPv4 only: others are
// left out of answers).
func (s *Server) Set(addrs ...netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs = slices.Clone(addrs)
}

// Add adds an address (a replica became ready) unless it is there already.
func (s *Server) Add(a netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.addrs, a) {
		s.addrs = append(s.addrs, a)
	}
}

// Remove removes an address (a replica is terminating).
func (s *Server) Remove(a netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs = slices.DeleteFunc(s.addrs, func(b netip.Addr) bool { return a == b })
}

// Addrs returns the addresses the name resolves to now.
func (s *Server) Addrs() []netip.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.addrs)
}

// Lookups returns how many A queries for the name were answered: how often
// clients resolved it.
func (s *Server) Lookups() int64 { return s.lookups.Load() }

// Close stops serving and waits for the server's goroutines.
func (s *Server) Close() error {
	err := errors.Join(s.udp.Close(), s.tcp.Close())
	s.wg.Wait()
	return err
}

func (s *Server) serveUDP() {
	buf := make([]byte, 1232)
	for {
		n, from, err := s.udp.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		if resp, ok := s.answer(buf[:n]); ok {
			_, _ = s.udp.WriteTo(resp, from)
		}
	}
}

func (s *Server) serveTCP() {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Go(func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			for {
				var n uint16
				if binary.Read(c, binary.BigEndian, &n) != nil {
					return
				}
				req := make([]byte, n)
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				resp, ok := s.answer(req)
				if !ok {
					return
				}
				if _, err := c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(resp)))); err != nil {
					return
				}
				if _, err := c.Write(resp); err != nil {
					return
				}
			}
		})
	}
}

// answer builds the response to one query; false means the query could not
// be parsed and gets no answer.
func (s *Server) answer(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	// Authoritative and recursion available: Go's resolver treats an empty
	// answer without either as a lame referral and tries elsewhere.
	rh := dnsmessage.Header{ID: h.ID, Response: true, OpCode: h.OpCode, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	ours := strings.EqualFold(q.Name.String(), s.name)
	if !ours {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil, false
	}
	if ours && q.Type == dnsmessage.TypeA && q.Class == dnsmessage.ClassINET {
		s.lookups.Add(1)
		for _, a := range s.Addrs() {
			if !a.Is4() {
				continue // an A record holds IPv4 only
			}
			// TTL 0: nothing between the client and this server may cache.
			rr := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 0}
			if b.AResource(rr, dnsmessage.AResource{A: a.As4()}) != nil {
				return nil, false
			}
		}
	}
	resp, err := b.Finish()
	if err != nil {
		return nil, false
	}
	return resp, true
}
