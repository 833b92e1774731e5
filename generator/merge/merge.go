// Package merge proposes a template upgrade's changes to a user-owned file.
//
// When new-service update finds that the template's rendering of a file the
// user owns has changed between template versions, it does not overwrite the
// file. It merges the template's change into the user's file with [Merge], a
// line-based three-way merge of the template's previous rendering (base), the
// user's current file (ours) and the template's new rendering (theirs), as
// diff3 -m and git merge-file do.
//
// Lines are compared byte for byte, terminator included: "x\r\n", "x\n" and a
// final "x" without a newline are three different lines. Line endings are
// content and are never normalised, so a change of line endings is a change
// like any other.
package merge

import (
	"bytes"
	"slices"
)

// Labels names the three inputs of [Merge] in its conflict markers, for
// example "yours", "template v1" and "template v2". An empty label leaves the
// marker bare.
type Labels struct {
	Ours, Base, Theirs string
}

// Merge merges the changes from base to theirs into ours, line by line, as
// diff3 -m and git merge-file --diff3 do. It returns the merged text and
// reports whether any hunk conflicted.
//
// Regions that ours and theirs both left alone are kept. A region changed by
// only one side takes that side's lines; a region both sides changed in the
// same way takes one copy. Any other region is a conflict, written in git's
// diff3 style:
//
//	<<<<<<< Labels.Ours
//	ours
//	||||||| Labels.Base
//	base
//	=======
//	theirs
//	>>>>>>> Labels.Theirs
//
// Changes that overlap or are adjacent conflict, as in diff3. Marker lines
// end with "\r\n" when the user's file (or, if it has no complete line, the
// template's) ends every line with it, and with "\n" otherwise. Each side of a conflict is ended with a line ending if it
// lacks one, so a marker never shares a line with the file's last line. Same
// input, same bytes.
func Merge(base, ours, theirs []byte, labels Labels) (merged []byte, conflict bool) {
	o, a, b := splitLines(base), splitLines(ours), splitLines(theirs)
	in := interner{}
	oi, ai, bi := in.ids(o), in.ids(a), in.ids(b)
	ma, mb := match(oi, ai), match(oi, bi)
	eol := markerEOL(a, b, o)

	var i, j, k int // next line of base, ours and theirs
	for {
		// A stable chunk: base lines that both sides kept, in step.
		for i < len(o) && ma[i] == j && mb[i] == k {
			merged = append(merged, o[i]...)
			i, j, k = i+1, j+1, k+1
		}
		if i == len(o) && j == len(a) && k == len(b) {
			return merged, conflict
		}
		// An unstable chunk runs to the next base line that both sides kept,
		// or to the end of all three.
		i2, j2, k2 := i, len(a), len(b)
		for i2 < len(o) && (ma[i2] < 0 || mb[i2] < 0) {
			i2++
		}
		if i2 < len(o) {
			j2, k2 = ma[i2], mb[i2]
		}
		switch {
		case slices.Equal(oi[i:i2], ai[j:j2]):
			merged = appendLines(merged, b[k:k2])
		case slices.Equal(oi[i:i2], bi[k:k2]), slices.Equal(ai[j:j2], bi[k:k2]):
			merged = appendLines(merged, a[j:j2])
		default:
			conflict = true
			merged = appendSide(merged, "<<<<<<<", labels.Ours, a[j:j2], eol)
			merged = appendSide(merged, "|||||||", labels.Base, o[i:i2], eol)
			merged = appendSide(merged, "=======", "", b[k:k2], eol)
			merged = appendMarker(merged, ">>>>>>>", labels.Theirs, eol)
		}
		i, j, k = i2, j2, k2
	}
}

// appendSide appends a conflict marker and the lines that follow it.
func appendSide(out []byte, marker, label string, lines [][]byte, eol string) []byte {
	out = appendMarker(out, marker, label, eol)
	out = appendLines(out, lines)
	// Only a file's last line lacks a terminator; the next marker still needs
	// a line of its own.
	if len(lines) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, eol...)
	}
	return out
}

func appendMarker(out []byte, marker, label, eol string) []byte {
	out = append(out, marker...)
	if label != "" {
		out = append(out, ' ')
		out = append(out, label...)
	}
	return append(out, eol...)
}

func appendLines(out []byte, lines [][]byte) []byte {
	for _, l := range lines {
		out = append(out, l...)
	}
	return out
}

// markerEOL returns "\r\n" if the first of files that has a terminated line
// ends all its lines with "\r\n", so conflict markers in a CRLF file do not
// mix line endings; otherwise it returns "\n".
func markerEOL(files ...[][]byte) string {
	for _, lines := range files {
		terminated, crlf := 0, 0
		for _, l := range lines {
			if bytes.HasSuffix(l, []byte("\n")) {
				terminated++
			}
			if bytes.HasSuffix(l, []byte("\r\n")) {
				crlf++
			}
		}
		if terminated > 0 {
			if crlf == terminated {
				return "\r\n"
			}
			return "\n"
		}
	}
	return "\n"
}

// splitLines splits text after each "\n", keeping the terminators; a last
// line without one is kept as it is.
func splitLines(text []byte) [][]byte {
	var lines [][]byte
	for len(text) > 0 {
		n := bytes.IndexByte(text, '\n') + 1
		if n == 0 {
			n = len(text)
		}
		lines = append(lines, text[:n])
		text = text[n:]
	}
	return lines
}

// interner numbers distinct lines, so the diff compares ints rather than
// bytes. Numbers are given in order of first sight, which keeps output
// independent of map order.
type interner map[string]int

func (in interner) ids(lines [][]byte) []int {
	ids := make([]int, len(lines))
	for i, l := range lines {
		id, ok := in[string(l)]
		if !ok {
			id = len(in)
			in[string(l)] = id
		}
		ids[i] = id
	}
	return ids
}

// match returns, for each element of a, the index of the element of b it is
// kept as in a shortest edit script from a to b, or -1 if it is deleted. The
// kept indexes increase along a.
//
// It is Myers' O(ND) difference algorithm in its linear-space form: find the
// middle of an optimal edit path, then solve both halves. Common leading and
// trailing lines are paired first, which is most of a source file.
func match(a, b []int) []int {
	m := make([]int, len(a))
	for i := range m {
		m[i] = -1
	}
	matchRange(a, b, 0, 0, m)
	return m
}

// matchRange records in m the pairs between a and b, which start at aoff and
// boff in the full sequences.
func matchRange(a, b []int, aoff, boff int, m []int) {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		m[aoff] = boff
		a, b = a[1:], b[1:]
		aoff, boff = aoff+1, boff+1
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
		m[aoff+len(a)] = boff + len(b)
	}
	if len(a) == 0 || len(b) == 0 {
		return
	}
	x, y, ok := middle(a, b)
	if !ok {
		return // nothing in common
	}
	matchRange(a[:x], b[:y], aoff, boff, m)
	matchRange(a[x:], b[y:], aoff+x, boff+y, m)
}

// middle returns a point (x, y) on a shortest edit path from a to b at which
// to split the problem in two, or false if a and b share no element. It runs
// the search forwards from the start and backwards from the end until they
// overlap. a and b must be non-empty and differ in their first and in their
// last elements, which keeps the point strictly inside, so that both halves
// are smaller.
func middle(a, b []int) (x, y int, ok bool) {
	n, m := len(a), len(b)
	maxD := (n + m + 1) / 2
	off := maxD + 1
	// vf[off+k] is the furthest x reached forwards on diagonal k = x-y; vb
	// holds the same for the reversed sequences.
	vf, vb := make([]int, 2*off+1), make([]int, 2*off+1)
	for i := range vf {
		vf[i], vb[i] = -1, -1
	}
	vf[off+1], vb[off+1] = 0, 0
	delta := n - m
	// With odd delta the paths can first meet on a forward step, with even
	// delta on a backward one.
	oddDelta := delta%2 != 0
	// Diagonals that ran off the edge of the grid are not searched again.
	var fLo, fHi, bLo, bHi int
	for d := 0; d < maxD; d++ {
		for k := -d + fLo; k <= d-fHi; k += 2 {
			var x int
			if k == -d || (k != d && vf[off+k-1] < vf[off+k+1]) {
				x = vf[off+k+1]
			} else {
				x = vf[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			vf[off+k] = x
			switch {
			case x > n:
				fHi += 2
			case y > m:
				fLo += 2
			case oddDelta:
				if kb := off + delta - k; kb >= 0 && kb < len(vb) && vb[kb] != -1 && x >= n-vb[kb] {
					return x, y, true
				}
			}
		}
		for k := -d + bLo; k <= d-bHi; k += 2 {
			var x int
			if k == -d || (k != d && vb[off+k-1] < vb[off+k+1]) {
				x = vb[off+k+1]
			} else {
				x = vb[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[n-x-1] == b[m-y-1] {
				x, y = x+1, y+1
			}
			vb[off+k] = x
			switch {
			case x > n:
				bHi += 2
			case y > m:
				bLo += 2
			case !oddDelta:
				if kf := off + delta - k; kf >= 0 && kf < len(vf) && vf[kf] != -1 && vf[kf] >= n-x {
					fx := vf[kf]
					return fx, fx - (kf - off), true
				}
			}
		}
	}
	return 0, 0, false
}
