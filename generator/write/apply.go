package write

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ConcurrentEditError reports files of the service that changed while
// update was running (edited, created or deleted by someone else, usually
// the user in their editor). Update stops rather than overwrite them, and
// the service is left as it is.
type ConcurrentEditError struct {
	// Paths are the changed files, slash-separated relative to the service
	// root, sorted.
	Paths []string
}

func (e *ConcurrentEditError) Error() string {
	var b strings.Builder
	b.WriteString("update stopped: these files changed while it was running, and it does not overwrite work it has not seen:")
	for _, p := range e.Paths {
		b.WriteString("\n  " + p)
	}
	b.WriteString("\nrun new-service update again once they are saved")
	return b.String()
}

// snapshot maps every regular file of a service (but .git and bin) to the
// hash of its content: what update copied, and so what it may replace.
type snapshot map[string]string

// Apply carries the plan out on the service in dir, all or nothing, without
// losing anything written to dir meanwhile:
//
//  1. the service is copied beside itself (without .git and bin), and the
//     copy's content recorded; a file that changed since the plan read it
//     stops the update;
//  2. the plan and the post-steps run on the copy (the slow part);
//  3. if any file of dir changed since the copy, the update stops and names
//     them;
//  4. only the files the update changed are moved into dir, each replaced
//     by a rename after checking that it is still what was copied; the
//     files they replace are kept aside until all are in, and put back if
//     any move fails.
//
// On any failure dir is exactly as before.
func Apply(ctx context.Context, dir string, plan *Plan, opts Options) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".new-service-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	snap, err := copyTree(abs, work)
	if err != nil {
		return fmt.Errorf("copy the service: %w", err)
	}
	if changed := plan.changedSince(snap); len(changed) > 0 {
		return &ConcurrentEditError{Paths: changed}
	}
	for rel, content := range plan.Writes {
		full := filepath.Join(work, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, content, 0o644); err != nil {
			return err
		}
	}
	for _, rel := range plan.Removes {
		if err := os.Remove(filepath.Join(work, filepath.FromSlash(rel))); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if len(plan.Requires) > 0 || len(plan.DropTools) > 0 {
		if err := requireAll(filepath.Join(work, filepath.FromSlash(plan.ModFile)), plan.Requires, plan.DropTools); err != nil {
			return err
		}
	}
	if err := runSteps(ctx, work, opts); err != nil {
		return err
	}
	writes, removes, err := diffTree(work, snap)
	if err != nil {
		return err
	}
	now, err := snapshotTree(abs)
	if err != nil {
		return err
	}
	if changed := snap.changed(now); len(changed) > 0 {
		return &ConcurrentEditError{Paths: changed}
	}
	return commit(abs, work, snap, writes, removes)
}

// changedSince returns the files the plan read whose content is no longer
// what it read, sorted.
func (p *Plan) changedSince(snap snapshot) []string {
	var out []string
	for rel, h := range p.Seen {
		if snap[rel] != h {
			out = append(out, rel)
		}
	}
	slices.Sort(out)
	return out
}

// changed returns the files that differ between two snapshots (changed,
// created or deleted), sorted.
func (s snapshot) changed(now snapshot) []string {
	var out []string
	for rel, h := range s {
		if now[rel] != h {
			out = append(out, rel)
		}
	}
	for rel := range now {
		if _, ok := s[rel]; !ok {
			out = append(out, rel)
		}
	}
	slices.Sort(out)
	return out
}

// skip are the paths a service copy leaves out: version control and build
// output, which nothing here changes.
func skip(rel string) bool {
	return rel == ".git" || rel == "bin" || strings.HasPrefix(rel, ".git/") || strings.HasPrefix(rel, "bin/")
}

// walkService calls fn for every entry below root (root itself excluded)
// that skip does not leave out, with its path relative to root.
func walkService(root string, fn func(p, rel string, d fs.DirEntry) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		if skip(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		return fn(p, rel, d)
	})
}

// snapshotTree hashes every regular file of the service at root.
func snapshotTree(root string) (snapshot, error) {
	snap := snapshot{}
	err := walkService(root, func(p, rel string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			return nil
		}
		h, err := hashFile(p)
		snap[filepath.ToSlash(rel)] = h
		return err
	})
	return snap, err
}

// copyTree copies the service at src into dst and returns what it copied.
func copyTree(src, dst string) (snapshot, error) {
	snap := snapshot{}
	err := walkService(src, func(p, rel string, d fs.DirEntry) error {
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		h, err := copyFile(p, target)
		snap[filepath.ToSlash(rel)] = h
		return err
	})
	return snap, err
}

// copyFile copies src to dst with its permissions and returns the hash of
// what it copied.
func copyFile(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return "", err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return "", err
	}
	return hashString(h.Sum(nil)), out.Close()
}

// hashFile is [Hash] of a file's content, "" when it does not exist.
func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hashString(h.Sum(nil)), nil
}

// diffTree compares the worked-on copy with what was copied: the files to
// write (new or changed) and to remove, sorted.
func diffTree(work string, snap snapshot) (writes, removes []string, err error) {
	got, err := snapshotTree(work)
	if err != nil {
		return nil, nil, err
	}
	for rel, h := range got {
		if snap[rel] != h {
			writes = append(writes, rel)
		}
	}
	for rel := range snap {
		if _, ok := got[rel]; !ok {
			removes = append(removes, rel)
		}
	}
	slices.Sort(writes)
	slices.Sort(removes)
	return writes, removes, nil
}

// commitStep, when set, is called before each file commit moves into the
// service, so a test can make the move fail part-way.
var commitStep func(rel string) error

// commit moves the changed files from work into dir. Each file it replaces
// or removes is first moved aside, and every move is undone if a later one
// fails; a file that is no longer what was copied stops the commit the
// same way.
func commit(dir, work string, snap snapshot, writes, removes []string) (err error) {
	aside, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-service-old-")
	if err != nil {
		return err
	}
	var undo []func() error
	defer func() {
		for i := len(undo) - 1; err != nil && i >= 0; i-- {
			if uerr := undo[i](); uerr != nil {
				// Keep what was moved aside: it is the user's only copy.
				err = fmt.Errorf("%w; and putting the service back failed: %v (the files update moved aside are in %s)", err, uerr, aside)
				return
			}
		}
		os.RemoveAll(aside)
	}()
	// moveAside moves the service's rel out of the way, after checking it is
	// still what was copied.
	moveAside := func(rel string) error {
		target := filepath.Join(dir, filepath.FromSlash(rel))
		h, err := hashFile(target)
		if err != nil {
			return err
		}
		if h != snap[rel] {
			return &ConcurrentEditError{Paths: []string{rel}}
		}
		if h == "" {
			return nil
		}
		saved := filepath.Join(aside, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(saved), 0o700); err != nil {
			return err
		}
		if err := os.Rename(target, saved); err != nil {
			return err
		}
		undo = append(undo, func() error { return os.Rename(saved, target) })
		return nil
	}
	for _, rel := range removes {
		if commitStep != nil {
			if err := commitStep(rel); err != nil {
				return err
			}
		}
		if err := moveAside(rel); err != nil {
			return err
		}
	}
	for _, rel := range writes {
		if commitStep != nil {
			if err := commitStep(rel); err != nil {
				return err
			}
		}
		if err := moveAside(rel); err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(rel))
		created, err := mkdirAll(filepath.Dir(target))
		if err != nil {
			return err
		}
		if created != "" {
			undo = append(undo, func() error { return os.RemoveAll(created) })
		}
		if err := os.Rename(filepath.Join(work, filepath.FromSlash(rel)), target); err != nil {
			return err
		}
		undo = append(undo, func() error { return os.Remove(target) })
	}
	// Remove folders the removals emptied (a removed service's gen/ code).
	for _, rel := range removes {
		for d := filepath.Dir(filepath.Join(dir, filepath.FromSlash(rel))); d != dir; d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	}
	return nil
}
