package protodesc

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The frontdoor patch loads the editions defaults on first use: a file
// of edition 2023 built after start must still get that edition's
// defaults (a field's presence is explicit there, unlike proto3's
// implicit presence).
func TestEditionDefaultsOnFirstUse(t *testing.T) {
	fdp := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("frontdoor/patch.proto"),
		Package: proto.String("frontdoor.patch"),
		Syntax:  proto.String("editions"),
		Edition: descriptorpb.Edition_EDITION_2023.Enum(),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Caller"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name:     proto.String("email"),
				Number:   proto.Int32(1),
				Type:     descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
				Label:    descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
				JsonName: proto.String("email"),
			}},
		}},
	}
	fd, err := NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := fd.Messages().ByName("Caller").Fields().ByName("email")
	if !f.HasPresence() {
		t.Error("edition 2023 field without explicit presence: the defaults were not loaded")
	}
	if f.Cardinality() != protoreflect.Optional {
		t.Errorf("cardinality %v, want optional", f.Cardinality())
	}
	if loadDefaults() != loadDefaults() {
		t.Error("the defaults are unmarshalled on every use, not once")
	}
}
