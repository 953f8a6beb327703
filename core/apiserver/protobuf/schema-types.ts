// The shape of the declarative protobuf schema tables (schema-*.ts).
//
// Each message maps a field number to [JSON name, type]. Types use Go's
// spelling, because whether a Go field is a pointer decides what its JSON form
// looks like:
//   string int32 int64 uint32 uint64 bool bytes double float
//                        a value field: Go's JSON drops it when zero (omitempty),
//                        though Go's protobuf always writes it; so do we drop it
//   *int32 *bool ...     a pointer field: present means set, so a zero is kept
//   core.v1.PodSpec      a message (short name: group.version.Kind, meta.v1.X,
//                        resource.Quantity, intstr.IntOrString, runtime.RawExtension)
//   ...core.v1.X         an embedded Go struct: JSON inlines its fields into the
//                        parent (Volume's volumeSource, Probe's handler)
//   []T                  a repeated field
//   map[K]V              a map (repeated {key = 1, value = 2} entries on the wire)

export type FieldSpec = readonly [jsonName: string, type: string];

export type MessageSchema = Readonly<Record<number, FieldSpec>>;

/** Message short name -> its fields. */
export type SchemaTable = Readonly<Record<string, MessageSchema>>;
