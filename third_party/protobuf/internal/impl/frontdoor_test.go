package impl_test

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/internal/impl"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// frontdoorLegacy is a message as gogo and old golang/protobuf generate
// them (etcd's are): struct tags, no ProtoReflect method, so its
// descriptor is derived from the tags by the legacy loader the frontdoor
// patch changed (each field decoded in place by ptag.UnmarshalTo).
type frontdoorLegacy struct {
	Email string   `protobuf:"bytes,1,opt,name=email,proto3" json:"email,omitempty"`
	Seq   int64    `protobuf:"varint,2,opt,name=seq,proto3" json:"seq,omitempty"`
	Tags  []string `protobuf:"bytes,3,rep,name=tags,proto3" json:"tags,omitempty"`
}

func (*frontdoorLegacy) Reset()         {}
func (*frontdoorLegacy) String() string { return "frontdoorLegacy" }
func (*frontdoorLegacy) ProtoMessage()  {}

func TestLegacyFieldsDecodedInPlace(t *testing.T) {
	md := impl.LegacyLoadMessageDesc(reflect.TypeOf(&frontdoorLegacy{}))
	want := []struct {
		name string
		num  protoreflect.FieldNumber
		kind protoreflect.Kind
		list bool
	}{{"email", 1, protoreflect.StringKind, false}, {"seq", 2, protoreflect.Int64Kind, false}, {"tags", 3, protoreflect.StringKind, true}}
	if md.Fields().Len() != len(want) {
		t.Fatalf("%d fields, want %d", md.Fields().Len(), len(want))
	}
	for i, w := range want {
		fd := md.Fields().Get(i)
		if fd.Name() != protoreflect.Name(w.name) || fd.Number() != w.num || fd.Kind() != w.kind || fd.IsList() != w.list {
			t.Errorf("field %d: %s #%d %v list %v; want %s #%d %v list %v", i, fd.Name(), fd.Number(), fd.Kind(), fd.IsList(), w.name, w.num, w.kind, w.list)
		}
		if fd.Index() != i || fd.ContainingMessage() != md || fd.FullName() != md.FullName().Append(fd.Name()) {
			t.Errorf("field %d: index %d, parent %v, name %s: not the message's own", i, fd.Index(), fd.ContainingMessage().FullName(), fd.FullName())
		}
	}
	in := &frontdoorLegacy{Email: "maria@example.com", Seq: 7, Tags: []string{"a", "b"}}
	b, err := proto.Marshal(impl.Export{}.ProtoMessageV2Of(in))
	if err != nil {
		t.Fatal(err)
	}
	out := &frontdoorLegacy{}
	if err := proto.Unmarshal(b, impl.Export{}.ProtoMessageV2Of(out)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip: %q %d %q, want %q %d %q", out.Email, out.Seq, out.Tags, in.Email, in.Seq, in.Tags)
	}
}
