package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"frontdoor/mirror"
	"frontdoor/store"
)

// headShipper ships the audit chain's head off the data directory
// (serve --head-to): appended to a file, or POSTed to a URL as JSON
// {"seq","hash","at"}; once at start, then whenever it moved. An insider
// who holds the data directory and the key can re-seal a trail they
// edited, but not the heads already shipped: `check --head-from` holds
// the trail to them.
type headShipper struct {
	st     *store.Store
	file   string // the head file, or
	url    string // the URL to POST to
	client *http.Client
	clock  func() time.Time
	last   store.ShippedHead // the last head shipped
}

// newHeadShipper reads --head-to: an http(s) URL, or a file that is not
// in the data directory (where the insider it is kept from can write).
func newHeadShipper(to, dataDir string, clock func() time.Time) (*headShipper, error) {
	h := &headShipper{clock: clock}
	if h.clock == nil {
		h.clock = time.Now
	}
	switch {
	case strings.HasPrefix(to, "http://") || strings.HasPrefix(to, "https://"):
		u, err := url.Parse(to)
		if err != nil || u.Host == "" {
			return nil, usagef("--head-to %s: not a URL", redactURL(to))
		}
		h.url = to
		h.client = &http.Client{
			Timeout: 10 * time.Second,
			// a redirect is answered as it is, an error: the head goes
			// where it was told, or nowhere
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	case strings.Contains(to, "://"):
		return nil, usagef("--head-to %s: want a file or an http(s):// URL", redactURL(to))
	case to == "":
		return nil, usagef("--head-to: want a file or an http(s):// URL")
	default:
		if insideDir(dataDir, to) {
			return nil, usagef("--head-to %s is in the data directory %s, where the insider it guards against can rewrite it: ship it elsewhere", to, dataDir)
		}
		h.file = to
	}
	return h, nil
}

// where names the target for the log, a URL without its secrets.
func (h *headShipper) where() string {
	if h.file != "" {
		return h.file
	}
	return redactURL(h.url)
}

// ship sends the head if it moved since the last one shipped; nothing
// while nothing was audited. shipped: it sent one.
func (h *headShipper) ship(ctx context.Context) (shipped bool, err error) {
	head, err := h.st.Head()
	if err != nil {
		return false, err
	}
	if head.Seq == 0 || (head.Seq == h.last.Seq && head.Hash == h.last.Hash) {
		return false, nil
	}
	head.At = h.clock().UTC().Truncate(time.Second)
	if h.file != "" {
		err = store.AppendHeadFile(h.file, head)
	} else {
		err = h.post(ctx, head)
	}
	if err != nil {
		return false, err
	}
	h.last = head
	return true, nil
}

func (h *headShipper) post(ctx context.Context, head store.ShippedHead) error {
	body, _ := json.Marshal(head)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("head to %s: %w", h.where(), unwrapURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("head to %s: %w", h.where(), unwrapURLError(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		what := ""
		if resp.StatusCode/100 == 3 {
			what = " (redirects are not followed)"
		}
		return fmt.Errorf("head to %s: answered %s%s", h.where(), resp.Status, what)
	}
	return nil
}

// run ships every interval until ctx ends, logging failures: a head not
// shipped is tried again at the next tick.
func (h *headShipper) run(ctx context.Context, every time.Duration, logf func(msg string, kv ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := h.ship(ctx); err != nil && ctx.Err() == nil {
				logf("audit head not shipped", "to", h.where(), "err", err)
			}
		}
	}
}

// unwrapURLError drops the URL net/http puts in its errors (with a
// token in its query, say) for the caller to name it redacted.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL is raw without what may be secret: its user information and
// its query's values (mirror.RedactURL, the one redaction).
func redactURL(raw string) string { return mirror.RedactURL(raw) }

// insideDir: path is dir or under it, symbolic links resolved (path
// itself may not exist yet).
func insideDir(dir, path string) bool {
	d, err := resolvePath(dir)
	if err != nil {
		return false
	}
	p, err := resolvePath(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolvePath is path absolute with its symbolic links resolved, as far
// as it exists.
func resolvePath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	parent := filepath.Dir(abs)
	if parent == abs {
		return abs, nil
	}
	rp, err := resolvePath(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(rp, filepath.Base(abs)), nil
}
