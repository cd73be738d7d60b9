using System.Text.Json;

namespace EventService.Domain.Json;

/// <summary>A field path rendered only when an error needs it, so valid events build no path strings.</summary>
internal readonly struct LazyPath(string parent, JsonProperty property, bool hasProperty)
{
    public static implicit operator LazyPath(string path) => new(path, default, false);

    public static LazyPath Child(string parent, JsonProperty property) => new(parent, property, true);

    public override string ToString() => hasProperty ? JsonPath.Property(parent, property.Name) : parent;
}
