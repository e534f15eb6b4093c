using System.Buffers;
using System.Text;

namespace NewsBot.Onnx;

/// <summary>Protocol-buffer wire types (the low three bits of a field's tag).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// One field as it lies in a buffer: <see cref="Start"/>..<see cref="End"/> is the whole field, tag included (what
/// is copied verbatim when the field is kept); <see cref="PayloadStart"/>..<see cref="End"/> its content (a
/// length-delimited field's bytes, or the 4/8 bytes of a fixed field); <see cref="Value"/> a varint field's value.
/// </summary>
internal readonly record struct ProtoField(int Number, WireType Type, ulong Value, int Start, int PayloadStart, int End)
{
    public int PayloadLength => End - PayloadStart;

    public Range Payload => PayloadStart..End;

    public Range Whole => Start..End;
}

/// <summary>
/// Walks the fields of one protobuf message in a span, without a schema or generated code. Offsets are relative to
/// the span given. Groups (deprecated, unused by ONNX) are rejected.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> buffer)
{
    readonly ReadOnlySpan<byte> _buffer = buffer;
    int _position;

    public bool Next(out ProtoField field)
    {
        if (_position >= _buffer.Length)
        {
            field = default;
            return false;
        }

        int start = _position;
        ulong tag = ReadVarint();
        int number = checked((int)(tag >> 3));
        var type = (WireType)(tag & 7);
        if (number <= 0) throw Invalid($"field number {number} at offset {start}");

        ulong value = 0;
        int payloadStart;
        switch (type)
        {
            case WireType.Varint:
                payloadStart = _position;
                value = ReadVarint();
                break;
            case WireType.Fixed64:
                payloadStart = _position;
                Skip(8);
                break;
            case WireType.Fixed32:
                payloadStart = _position;
                Skip(4);
                break;
            case WireType.LengthDelimited:
                ulong length = ReadVarint();
                if (length > (ulong)(_buffer.Length - _position))
                    throw Invalid($"field {number} at offset {start} claims {length} bytes; {_buffer.Length - _position} remain");
                payloadStart = _position;
                _position += (int)length;
                break;
            default:
                throw Invalid($"wire type {(int)type} (field {number} at offset {start})");
        }
        field = new ProtoField(number, type, value, start, payloadStart, _position);
        return true;
    }

    ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length) throw Invalid("a varint runs past the end");
            byte b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw Invalid("a varint is longer than 10 bytes");
    }

    void Skip(int count)
    {
        if (_buffer.Length - _position < count) throw Invalid("a fixed-width field runs past the end");
        _position += count;
    }

    static InvalidDataException Invalid(string what) => new($"Not a valid protobuf message: {what}.");

    /// <summary>A length-delimited field's content as UTF-8 text.</summary>
    public static string String(ReadOnlySpan<byte> buffer, in ProtoField field) =>
        field.Type == WireType.LengthDelimited
            ? Encoding.UTF8.GetString(buffer[field.Payload])
            : throw new InvalidDataException($"Field {field.Number} is not length-delimited.");
}

/// <summary>Appends protobuf fields to a growable buffer.</summary>
internal sealed class ProtoWriter
{
    readonly ArrayBufferWriter<byte> _buffer;

    public ProtoWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(Math.Max(16, initialCapacity));

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    /// <summary>Copies already-encoded bytes (a whole field, tag included) unchanged.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void WriteVarintField(int number, ulong value)
    {
        WriteTag(number, WireType.Varint);
        WriteVarint(value);
    }

    /// <summary>An int64/int32 field; negative values take ten bytes, as protobuf encodes them.</summary>
    public void WriteInt64Field(int number, long value) => WriteVarintField(number, unchecked((ulong)value));

    public void WriteBytesField(int number, ReadOnlySpan<byte> bytes)
    {
        WriteTag(number, WireType.LengthDelimited);
        WriteVarint((ulong)bytes.Length);
        _buffer.Write(bytes);
    }

    public void WriteStringField(int number, string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        WriteTag(number, WireType.LengthDelimited);
        WriteVarint((ulong)count);
        int written = Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(written);
    }

    /// <summary>A nested message, written by <paramref name="write"/> into a scratch writer first to learn its length.</summary>
    public void WriteMessageField(int number, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        WriteBytesField(number, inner.WrittenSpan);
    }

    void WriteTag(int number, WireType type) => WriteVarint(((ulong)(uint)number << 3) | (uint)type);

    void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _buffer.Advance(i);
    }
}
