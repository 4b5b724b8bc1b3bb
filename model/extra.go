package model

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Extra holds the JSON members of an object that the model does not know,
// verbatim. The store is a mirror: nothing it is given is lost (DOMAIN §6).
type Extra map[string]json.RawMessage

var knownKeys sync.Map // reflect.Type → map[string]bool

// jsonKeys lists the member names a struct type decodes.
func jsonKeys(t reflect.Type) map[string]bool {
	if k, ok := knownKeys.Load(t); ok {
		return k.(map[string]bool)
	}
	keys := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !t.Field(i).IsExported() {
			continue
		}
		if name == "" {
			name = t.Field(i).Name
		}
		keys[name] = true
	}
	knownKeys.Store(t, keys)
	return keys
}

// decodeKeeping decodes b into v and stores the members v does not know in extra.
func decodeKeeping[T any](b []byte, v *T, extra *Extra) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	known := jsonKeys(reflect.TypeOf(*v))
	*extra = nil
	// b is a valid object (Unmarshal said so): walk its members without
	// decoding them, and keep the unknown ones verbatim
	ok := members(b, func(k string, raw []byte) {
		if known[k] {
			return
		}
		if *extra == nil {
			*extra = Extra{}
		}
		(*extra)[k] = append(json.RawMessage(nil), raw...)
	})
	if ok {
		return nil
	}
	// a key with escapes: let encoding/json read the keys
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	*extra = nil
	for k, raw := range all {
		if !known[k] {
			if *extra == nil {
				*extra = Extra{}
			}
			(*extra)[k] = append(json.RawMessage(nil), raw...)
		}
	}
	return nil
}

// JSONMembers is membersOnce, for the store's change-stream envelope.
func JSONMembers(b []byte, fn func(key string, raw []byte)) (twice string, ok bool) {
	return membersOnce(b, fn)
}

// membersOnce is members, and also names the first key given twice:
// JSON readers disagree on which of two counts (encoding/json takes the
// last, others the first), so the platform and the console could each
// read another email, or another seq (round 3). Its callers refuse one.
func membersOnce(b []byte, fn func(key string, raw []byte)) (twice string, ok bool) {
	var seen map[string]bool
	ok = members(b, func(k string, v []byte) {
		if seen == nil {
			seen = map[string]bool{}
		}
		if seen[k] && twice == "" {
			twice = k
		}
		seen[k] = true
		fn(k, v)
	})
	return twice, ok
}

// members calls fn with each member of the JSON object b (valid JSON,
// checked by the caller) and its raw value, in one pass with no decoding
// — a third of an account's decode time was a second full decode just
// to find the unknown members. It says false, having called fn for some
// or none, when a key has an escape or invalid UTF-8 (the caller then
// decodes the keys).
func members(b []byte, fn func(key string, raw []byte)) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		if b[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				return false
			}
			end++
		}
		if !utf8.Valid(b[i+1 : end]) {
			return false // encoding/json would read it with U+FFFD
		}
		key := string(b[i+1 : end])
		i = skipSpace(b, end+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		start := skipSpace(b, i+1)
		i = skipValue(b, start)
		fn(key, b[start:i])
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue is the index just past the JSON value starting at i.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i
			}
		case ',':
			if depth == 0 {
				return i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// encodeKeeping encodes v, then appends the unknown members in key order.
func encodeKeeping(v any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // drop the closing brace
	for _, k := range keys {
		name, _ := json.Marshal(k)
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(extra[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
