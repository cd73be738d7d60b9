using System.Reflection;
using EventService.Domain.Queries;

namespace EventService.Domain.Tests.Queries;

public sealed class EventFilterTests
{
    private static readonly string[] TimeWindow = [nameof(EventFilter.From), nameof(EventFilter.Until), nameof(EventFilter.UntilExclusive)];

    [Fact]
    public void No_condition_and_a_time_window_alone_are_answerable_by_hourly_counts()
    {
        Assert.True(EventFilter.None.IsTimeWindowOnly);
        Assert.True(new EventFilter { From = DateTimeOffset.UnixEpoch, Until = DateTimeOffset.UnixEpoch.AddHours(5), UntilExclusive = true }.IsTimeWindowOnly);
    }

    public static TheoryData<string> Conditions()
    {
        var data = new TheoryData<string>();
        foreach (var property in typeof(EventFilter).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.CanWrite && !TimeWindow.Contains(property.Name))
            {
                data.Add(property.Name);
            }
        }

        return data;
    }

    // Reflection, so that a condition added to EventFilter later cannot be forgotten in IsTimeWindowOnly: a count per
    // hour that ignored it would be a wrong X-Total-Count.
    [Theory]
    [MemberData(nameof(Conditions))]
    public void Every_other_condition_needs_a_real_count(string name)
    {
        var property = typeof(EventFilter).GetProperty(name)!;
        var filter = EventFilter.None with { };
        property.SetValue(filter, SomeValue(property.PropertyType));

        Assert.False(filter.IsTimeWindowOnly, $"{name} set, yet the filter counts as a time window only");
    }

    private static object SomeValue(Type type) => type switch
    {
        _ when type == typeof(string) => "x",
        _ when type == typeof(IReadOnlyList<int>) => new List<int> { 1 },
        _ when type == typeof(IReadOnlyList<string>) => new List<string> { "x" },
        _ when type == typeof(IReadOnlyList<IccidCondition>) => new List<IccidCondition> { new("8988", true) },
        _ when Nullable.GetUnderlyingType(type) is { IsEnum: true } e => Enum.GetValues(e).GetValue(0)!,
        _ when type == typeof(bool?) => false,
        _ => throw new InvalidOperationException($"give {type} a value in SomeValue"),
    };
}
