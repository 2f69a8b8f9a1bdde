package sim

import (
	"go.uber.org/zap"
)

// Tag is one key and value.
type Tag struct{ Key, Value string }

// TagMatch names a tag to delete: by key alone when Value is nil, or only
// while it has exactly *Value (EC2's DeleteTags semantics).
type TagMatch struct {
	Key   string
	Value *string
}

// CreateTags adds or overwrites tags on every instance in ids. It is all or
// nothing: an unknown id gives a *NotFoundError, and an instance that would
// end up with more than MaxTags tags a *TagLimitError.
func (s *Sim) CreateTags(ids []string, tags []Tag) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	found, err := s.lookupLocked(ids)
	if err != nil {
		return err
	}
	for _, in := range found {
		added := 0
		for _, t := range uniqueTags(tags) {
			if _, ok := in.tags.get(t.Key); !ok {
				added++
			}
		}
		if len(in.tags.clone())+added > MaxTags {
			return &TagLimitError{ID: in.id}
		}
	}
	for _, in := range found {
		own := in.tags.writable()
		for _, t := range tags {
			own[t.Key] = t.Value
		}
		s.log.Debug("tags created", zap.String("instance", in.id), zap.Int("tags", len(tags)))
	}
	return nil
}

// uniqueTags keeps the last value of every key, as a map would.
func uniqueTags(tags []Tag) map[string]Tag {
	out := make(map[string]Tag, len(tags))
	for _, t := range tags {
		out[t.Key] = t
	}
	return out
}

// DeleteTags removes tags from every instance in ids; with no matches it
// removes every tag, as EC2 does. An unknown id gives a *NotFoundError and
// changes nothing.
func (s *Sim) DeleteTags(ids []string, matches []TagMatch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	found, err := s.lookupLocked(ids)
	if err != nil {
		return err
	}
	for _, in := range found {
		own := in.tags.writable()
		if len(matches) == 0 {
			clear(own)
		}
		for _, m := range matches {
			if v, ok := own[m.Key]; ok && (m.Value == nil || *m.Value == v) {
				delete(own, m.Key)
			}
		}
		s.log.Debug("tags deleted", zap.String("instance", in.id), zap.Int("matches", len(matches)), zap.Int("left", len(own)))
	}
	return nil
}
