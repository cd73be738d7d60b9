using System.Collections.Frozen;

namespace EventService.Domain.Json;

/// <summary>Field errors keyed by JSON path, in the order they were found; a message is kept once per path.</summary>
internal sealed class FieldErrors
{
    public static readonly IReadOnlyDictionary<string, string[]> None = FrozenDictionary<string, string[]>.Empty;

    private Dictionary<string, List<string>>? _errors;

    public bool Any => _errors is not null;

    /// <summary>Grows with every added message, so a caller can tell whether a step found anything.</summary>
    public int Version { get; private set; }

    public void Add(string path, string message)
    {
        _errors ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
        Version++;
        if (!_errors.TryGetValue(path, out var messages))
        {
            _errors[path] = [message];
        }
        else if (!messages.Contains(message))
        {
            messages.Add(message);
        }
    }

    public void AddAll(IReadOnlyDictionary<string, string[]> errors)
    {
        foreach (var (path, messages) in errors)
        {
            foreach (var message in messages)
            {
                Add(path, message);
            }
        }
    }


    public IReadOnlyDictionary<string, string[]> ToDictionary()
    {
        if (_errors is null)
        {
            return None;
        }

        var result = new Dictionary<string, string[]>(_errors.Count, StringComparer.Ordinal);
        foreach (var (path, messages) in _errors)
        {
            result[path] = [.. messages];
        }

        return result;
    }
}
