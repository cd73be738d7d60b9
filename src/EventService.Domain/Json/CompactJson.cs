using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EventService.Domain.Json;

/// <summary>Writes compact JSON text through one reused buffer per thread (the ingest hot path writes three texts per event).</summary>
internal static class CompactJson
{
    private const int MaxRetainedBytes = 1 << 20;

    // The backslash of any escape, and what UnsafeRelaxedJsonEscaping still escapes in printable ASCII.
    private static readonly SearchValues<byte> WriterEscapes = SearchValues.Create("\\"u8);

    // Relaxed escaping: the text goes to jsonb, never into HTML, and escaping every non-ASCII character would bloat it.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        MaxDepth = 1024,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string Write<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            write(writer, state);
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
        finally
        {
            if (buffer.Capacity > MaxRetainedBytes)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    /// <summary>The element as compact text: its own text when that is already what the writer would write.</summary>
    public static string Compact(JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        return IsWrittenAsIs(raw) ? Encoding.UTF8.GetString(raw) : Write(element, static (writer, e) => e.WriteTo(writer));
    }

    /// <summary>
    /// Printable ASCII without escapes, and spaces only inside strings: text the writer copies unchanged (it would only
    /// drop whitespace between tokens, re-escape strings and escape characters beyond ASCII).
    /// </summary>
    private static bool IsWrittenAsIs(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOfAnyExceptInRange((byte)' ', (byte)'~') >= 0 || raw.IndexOfAny(WriterEscapes) >= 0)
        {
            return false;
        }

        var space = raw.IndexOf((byte)' ');
        if (space < 0)
        {
            return true;
        }

        // Without backslashes every quote opens or closes a string.
        var inString = false;
        foreach (var b in raw)
        {
            if (b == (byte)'"')
            {
                inString = !inString;
            }
            else if (b == (byte)' ' && !inString)
            {
                return false;
            }
        }

        return true;
    }
}
