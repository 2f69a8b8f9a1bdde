package sim

import (
	"errors"
	"fmt"
	"maps"
	"testing"
)

func TestCreateAndDeleteTags(t *testing.T) {
	s := startAPIOnly(t, tinyFleet())
	views := s.Describe()
	a, b := views[0].ID, views[1].ID
	if err := s.CreateTags([]string{a}, []Tag{{"owner", "sre"}, {"gameday", "opted-out"}, {"empty", ""}}); err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(views[0].Tags)
	want["owner"], want["gameday"], want["empty"] = "sre", "opted-out", ""
	if got := view(t, s, a).Tags; !maps.Equal(got, want) {
		t.Errorf("tags after CreateTags: %v, want %v", got, want)
	}
	if got := view(t, s, b).Tags; !maps.Equal(got, views[1].Tags) {
		t.Errorf("a tag change leaked to another instance of the group: %v", got)
	}
	sre, other, none := "sre", "other", ""
	err := s.DeleteTags([]string{a}, []TagMatch{
		{Key: "owner", Value: &other}, // value differs: kept
		{Key: "gameday"},              // any value: deleted
		{Key: "empty", Value: &none},  // empty matches empty: deleted
	})
	if err != nil {
		t.Fatal(err)
	}
	tags := view(t, s, a).Tags
	if _, ok := tags["gameday"]; ok || tags["owner"] != "sre" || len(tags) != len(views[0].Tags) {
		t.Errorf("after DeleteTags: %v", tags)
	}
	_ = s.DeleteTags([]string{a}, []TagMatch{{Key: "owner", Value: &sre}})
	if err := s.DeleteTags([]string{b}, nil); err != nil || len(view(t, s, b).Tags) != 0 {
		t.Errorf("DeleteTags without tags: %v, left %v; want every tag gone", err, view(t, s, b).Tags)
	}
}

func TestTagChangesAreAllOrNothing(t *testing.T) {
	s := startAPIOnly(t, tinyFleet())
	ids := []string{s.Describe()[0].ID, s.Describe()[1].ID}
	many := make([]Tag, MaxTags-1) // with Name and gameday: one too many
	for i := range many {
		many[i] = Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"}
	}
	var limit *TagLimitError
	if err := s.CreateTags(ids, many); !errors.As(err, &limit) {
		t.Errorf("error %v, want *TagLimitError", err)
	}
	var nf *NotFoundError
	if err := s.CreateTags([]string{ids[0], "i-00000000000000000"}, []Tag{{"a", "b"}}); !errors.As(err, &nf) {
		t.Errorf("error %v, want *NotFoundError", err)
	}
	for _, id := range ids {
		if n := len(view(t, s, id).Tags); n != 2 {
			t.Errorf("%s has %d tags after failed calls, want its 2", id, n)
		}
	}
	if err := s.CreateTags(ids, many[:MaxTags-2]); err != nil {
		t.Errorf("exactly %d tags: %v", MaxTags, err)
	}
}
