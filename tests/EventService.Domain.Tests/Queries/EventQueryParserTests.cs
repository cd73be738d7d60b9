using EventService.Domain.Catalog;
using EventService.Domain.Queries;

namespace EventService.Domain.Tests.Queries;

public sealed class EventQueryParserTests
{
    private static EventQuery Valid(string? q = null, string? sort = null, string? page = null, string? perPage = null)
    {
        var result = EventQueryParser.Parse(q, sort, page, perPage);
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => e.Message)));
        Assert.Empty(result.Errors);
        return result.Query!;
    }

    private static EventFilter Filter(string q) => Valid(q).Filter;

    private static IReadOnlyList<QueryError> Errors(string? q = null, string? sort = null, string? page = null, string? perPage = null)
    {
        var result = EventQueryParser.Parse(q, sort, page, perPage);
        Assert.False(result.IsValid);
        Assert.Null(result.Query);
        Assert.NotEmpty(result.Errors);
        return result.Errors;
    }

    private static QueryError FilterError(string q)
    {
        var error = Assert.Single(Errors(q));
        Assert.Equal(QueryErrorKind.Filter, error.Kind);
        Assert.Equal("q", error.Parameter);
        return error;
    }

    private static QueryError SortError(string sort)
    {
        var error = Assert.Single(Errors(sort: sort));
        Assert.Equal(QueryErrorKind.Sort, error.Kind);
        Assert.Equal("sort", error.Parameter);
        return error;
    }

    private static string Values(int count, Func<int, string> value) => string.Join('|', Enumerable.Range(1, count).Select(value));

    /// <summary>The Luhn check digit for a payload, computed the textbook way (double every second digit from the right, starting next to the check digit).</summary>
    private static char LuhnDigit(string payload)
    {
        var sum = 0;
        var doubleIt = true;
        for (var i = payload.Length - 1; i >= 0; i--)
        {
            var d = payload[i] - '0';
            if (doubleIt)
            {
                d = (d * 2 / 10) + (d * 2 % 10);
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return (char)('0' + ((10 - (sum % 10)) % 10));
    }

    // defaults

    [Fact]
    public void No_parameters_mean_no_filter_id_ascending_and_the_first_page_of_100()
    {
        var query = Valid();

        Assert.Same(EventFilter.None, query.Filter);
        Assert.Equal([new SortKey(SortField.Id, false)], query.Sort);
        Assert.Equal(1, query.Page);
        Assert.Equal(EventQuery.DefaultPerPage, query.PerPage);
        Assert.Equal("", query.FilterText);
        Assert.Equal("id", query.SortText);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    public void An_empty_or_blank_q_is_no_filter(string q)
    {
        var query = Valid(q);

        Assert.Same(EventFilter.None, query.Filter);
        Assert.Equal("", query.FilterText);
    }

    [Fact]
    public void The_filter_text_is_q_as_given_but_trimmed()
    {
        Assert.Equal("type:1, alert:true", Valid("  type:1, alert:true ").FilterText);
    }

    // type

    [Fact]
    public void A_type_filters_by_one_event_type_id()
    {
        Assert.Equal([3], Filter("type:3").Types);
    }

    [Fact]
    public void Types_joined_by_a_bar_are_alternatives()
    {
        Assert.Equal([1, 3, 24], Filter("type:1|3|24").Types);
    }

    [Fact]
    public void Six_types_are_accepted()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6], Filter("type:" + Values(6, i => i.ToString())).Types);
    }

    [Fact]
    public void Seven_types_are_an_error_naming_the_limit()
    {
        var error = FilterError("type:" + Values(7, i => i.ToString()));

        Assert.Contains("'type'", error.Message);
        Assert.Contains("at most 6 values", error.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("١")]
    public void A_non_numeric_type_is_an_error_naming_field_and_value(string value)
    {
        var error = FilterError("type:1|" + value);

        Assert.Contains("'type'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void A_type_beyond_the_integer_range_is_an_error()
    {
        Assert.Contains("'99999999999'", FilterError("type:99999999999").Message);
    }

    // source, severity

    [Theory]
    [InlineData("0", EventSource.Network)]
    [InlineData("1", EventSource.PolicyControl)]
    [InlineData("2", EventSource.Api)]
    public void A_source_is_read_by_its_number(string value, EventSource expected)
    {
        Assert.Equal(expected, Filter("source:" + value).Source);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("99999999999")]
    public void An_unknown_source_number_is_an_error(string value)
    {
        var error = FilterError("source:" + value);

        Assert.Contains("source", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void A_source_given_by_name_is_an_error()
    {
        var error = FilterError("source:Network");

        Assert.Contains("'source'", error.Message);
        Assert.Contains("'Network'", error.Message);
    }

    [Theory]
    [InlineData("0", EventSeverity.Info)]
    [InlineData("1", EventSeverity.Warn)]
    [InlineData("2", EventSeverity.Critical)]
    public void A_severity_is_read_by_its_number(string value, EventSeverity expected)
    {
        Assert.Equal(expected, Filter("severity:" + value).Severity);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("critical")]
    public void An_unknown_severity_is_an_error(string value)
    {
        var error = FilterError("severity:" + value);

        Assert.Contains("severity", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void Source_and_severity_take_no_lists()
    {
        Assert.Contains("'source'", FilterError("source:0|1").Message);
        Assert.Contains("'severity'", FilterError("severity:0|1").Message);
    }

    // alert

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData("True", true)]
    [InlineData("FALSE", false)]
    public void An_alert_is_true_false_1_or_0(string value, bool expected)
    {
        Assert.Equal(expected, Filter("alert:" + value).Alert);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("2")]
    [InlineData("t")]
    public void Any_other_alert_is_an_error_naming_the_value(string value)
    {
        var error = FilterError("alert:" + value);

        Assert.Contains("'alert'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    // text fields

    [Fact]
    public void A_description_is_kept_with_its_inner_spaces()
    {
        Assert.Equal("PDP Context rejected", Filter("description: PDP Context rejected ").Description);
    }

    [Fact]
    public void An_organisation_a_user_and_tags_are_kept_as_text()
    {
        var filter = Filter("organisation:Acme Fleet,user:Dana Ops,tags:fleet");

        Assert.Equal("Acme Fleet", filter.OrganisationName);
        Assert.Equal("Dana Ops", filter.UserName);
        Assert.Equal("fleet", filter.Tags);
    }

    [Theory]
    [InlineData("description")]
    [InlineData("organisation")]
    [InlineData("user")]
    [InlineData("tags")]
    [InlineData("imei")]
    [InlineData("imsi")]
    [InlineData("ip_address")]
    [InlineData("alert")]
    [InlineData("from")]
    [InlineData("timestamp")]
    public void A_bar_on_a_field_that_takes_one_value_is_an_error(string field)
    {
        var error = FilterError($"{field}:a|b" + (field == "from" ? ",until:2021-10-27T11:59:29Z" : ""));

        Assert.Contains($"'{field}'", error.Message);
        Assert.Contains("'|'", error.Message);
    }

    [Fact]
    public void A_text_value_of_200_characters_is_accepted()
    {
        Assert.Equal(200, Filter("description:" + new string('x', 200)).Description!.Length);
    }

    [Fact]
    public void A_text_value_over_200_characters_is_an_error()
    {
        var error = FilterError("description:" + new string('x', 201));

        Assert.Contains("'description'", error.Message);
        Assert.Contains("200", error.Message);
    }

    [Theory]
    [InlineData("description")]
    [InlineData("organisation")]
    [InlineData("endpoint")]
    [InlineData("country")]
    public void A_nul_character_in_a_text_value_is_an_error(string field)
    {
        var error = FilterError($"{field}:a\0b");

        Assert.Contains($"'{field}'", error.Message);
        Assert.Contains("NUL", error.Message);
        Assert.DoesNotContain("\0", error.Message);
    }

    [Fact]
    public void An_unpaired_surrogate_in_a_text_value_is_an_error()
    {
        Assert.Contains("surrogate", FilterError("user:a\uD800b").Message);
    }

    [Fact]
    public void A_paired_surrogate_in_a_text_value_is_accepted()
    {
        Assert.Equal("truck \U0001F69A", Filter("endpoint:truck \U0001F69A").EndpointNames.Single());
    }

    // list text fields

    [Fact]
    public void Endpoint_names_are_alternatives_each_trimmed()
    {
        Assert.Equal(["truck-017", "truck 018"], Filter("endpoint:truck-017 | truck 018").EndpointNames);
    }

    [Fact]
    public void Networks_and_countries_are_alternatives()
    {
        var filter = Filter("network:Telekom|Vodafone,country:Germany|Austria");

        Assert.Equal(["Telekom", "Vodafone"], filter.Networks);
        Assert.Equal(["Germany", "Austria"], filter.Countries);
    }

    [Theory]
    [InlineData("endpoint")]
    [InlineData("network")]
    [InlineData("country")]
    [InlineData("rat")]
    [InlineData("iccid")]
    [InlineData("iccid_with_luhn")]
    public void Every_list_field_takes_six_values_and_no_more(string field)
    {
        Assert.True(EventQueryParser.Parse($"{field}:" + Values(6, i => i.ToString()), null, null, null).IsValid);

        var error = FilterError($"{field}:" + Values(7, i => i.ToString()));
        Assert.Contains($"'{field}'", error.Message);
        Assert.Contains("at most 6 values", error.Message);
    }

    [Theory]
    [InlineData("endpoint:a||b")]
    [InlineData("endpoint:a|")]
    [InlineData("type:|1")]
    [InlineData("country:a| |b")]
    public void An_empty_alternative_is_an_error_naming_the_pair(string q)
    {
        var error = FilterError(q);

        Assert.Contains("empty value", error.Message);
        Assert.Contains($"'{q}'", error.Message);
    }

    // rat

    [Fact]
    public void Rat_types_are_numeric_alternatives()
    {
        Assert.Equal([6, 8], Filter("rat:6|8").RatTypes);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("255", 255)]
    public void Rat_types_span_0_to_255(string value, int expected)
    {
        Assert.Equal([expected], Filter("rat:" + value).RatTypes);
    }

    [Theory]
    [InlineData("256")]
    [InlineData("LTE")]
    [InlineData("-1")]
    public void A_rat_type_outside_0_to_255_is_an_error_naming_the_value(string value)
    {
        var error = FilterError("rat:" + value);

        Assert.Contains("'rat'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    // ip_address

    [Theory]
    [InlineData("100.64.12.7", "100.64.12.7")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("2001:DB8:0:0:0:0:0:1", "2001:db8::1")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("::1", "::1")]
    [InlineData("::ffff:100.64.12.7", "::ffff:100.64.12.7")]
    public void An_ip_address_is_stored_normalised(string value, string expected)
    {
        Assert.Equal(expected, Filter("ip_address:" + value).IpAddress);
    }

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("256.1.1.1")]
    [InlineData("12345")]
    [InlineData("1.2")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("010.1.1.1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("[::1]")]
    [InlineData("[::1]:80")]
    [InlineData("1.2.3.4:80")]
    [InlineData("fe80::1%eth0")]
    [InlineData("fe80::1%2")]
    [InlineData("2001:db8::g")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("localhost")]
    public void An_invalid_ip_address_is_an_error_naming_the_value(string value)
    {
        var error = FilterError("ip_address:" + value);

        Assert.Contains("'ip_address'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    // imei, imsi

    [Fact]
    public void An_imei_and_an_imsi_are_digit_strings_kept_with_leading_zeros()
    {
        var filter = Filter("imei:356938035643809,imsi:001010000012345");

        Assert.Equal("356938035643809", filter.Imei);
        Assert.Equal("001010000012345", filter.Imsi);
    }

    [Theory]
    [InlineData("imei", "35693803564380A")]
    [InlineData("imei", "356 938")]
    [InlineData("imsi", "+901430000012345")]
    [InlineData("imsi", "9014-3")]
    public void A_non_numeric_imei_or_imsi_is_an_error_naming_field_and_value(string field, string value)
    {
        var error = FilterError($"{field}:{value}");

        Assert.Contains($"'{field}'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    // iccid

    [Theory]
    [InlineData("8")]
    [InlineData("8988303")]
    [InlineData("8988303000000012345")]
    public void An_iccid_shorter_than_20_digits_matches_as_a_prefix(string value)
    {
        Assert.Equal([new IccidCondition(value, IsPrefix: true)], Filter("iccid:" + value).Iccids);
    }

    [Fact]
    public void An_iccid_of_20_digits_matches_exactly()
    {
        Assert.Equal([new IccidCondition("89883030000000123456", IsPrefix: false)], Filter("iccid:89883030000000123456").Iccids);
    }

    [Fact]
    public void Iccids_joined_by_a_bar_are_alternatives_each_exact_or_prefix()
    {
        Assert.Equal(
            [new IccidCondition("8988303", true), new IccidCondition("89883030000000123456", false)],
            Filter("iccid:8988303|89883030000000123456").Iccids);
    }

    [Theory]
    [InlineData("898830300000001234567")]
    [InlineData("8988303A")]
    [InlineData("-8988303")]
    public void An_iccid_longer_than_20_digits_or_not_numeric_is_an_error(string value)
    {
        var error = FilterError("iccid:" + value);

        Assert.Contains("'iccid'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void An_iccid_with_a_valid_luhn_digit_matches_its_19_digits_exactly()
    {
        const string iccid = "8988303000000012345";
        var withLuhn = iccid + LuhnDigit(iccid);

        Assert.Equal([new IccidCondition(iccid, IsPrefix: false)], Filter("iccid_with_luhn:" + withLuhn).Iccids);
    }

    [Fact]
    public void An_iccid_with_a_wrong_luhn_digit_is_an_error_naming_it()
    {
        const string iccid = "8988303000000012345";
        var wrong = iccid + (char)('0' + ((LuhnDigit(iccid) - '0' + 1) % 10));

        var error = FilterError("iccid_with_luhn:" + wrong);

        Assert.Contains("'iccid_with_luhn'", error.Message);
        Assert.Contains($"'{wrong}'", error.Message);
        Assert.Contains("Luhn", error.Message);
    }

    [Fact]
    public void Every_wrong_luhn_digit_is_caught()
    {
        const string iccid = "8988303000000012345";
        var right = LuhnDigit(iccid);
        foreach (var digit in "0123456789".Where(d => d != right))
        {
            Assert.False(EventQueryParser.Parse("iccid_with_luhn:" + iccid + digit, null, null, null).IsValid);
        }
    }

    [Fact]
    public void A_shorter_iccid_with_luhn_is_a_prefix_as_given()
    {
        Assert.Equal([new IccidCondition("8988303", IsPrefix: true)], Filter("iccid_with_luhn:8988303").Iccids);
    }

    [Fact]
    public void An_iccid_with_luhn_of_21_digits_is_an_error()
    {
        Assert.Contains("'iccid_with_luhn'", FilterError("iccid_with_luhn:898830300000001234567").Message);
    }

    [Fact]
    public void Iccid_and_iccid_with_luhn_conditions_are_combined()
    {
        const string iccid = "8988303000000099999";
        var filter = Filter($"iccid:8988303|8988304,iccid_with_luhn:{iccid}{LuhnDigit(iccid)}");

        Assert.Equal(
            [new IccidCondition("8988303", true), new IccidCondition("8988304", true), new IccidCondition(iccid, false)],
            filter.Iccids);
    }

    [Fact]
    public void Iccid_and_iccid_with_luhn_take_at_most_six_values_together()
    {
        var error = FilterError("iccid:" + Values(4, i => i.ToString()) + ",iccid_with_luhn:" + Values(3, i => i.ToString()));

        Assert.Contains("at most 6 values", error.Message);
        Assert.Contains("7", error.Message);
    }

    // from, until

    [Fact]
    public void From_and_until_bound_the_timestamp_inclusively()
    {
        var filter = Filter("from:2021-10-27T00:00:00Z,until:2021-10-27T23:59:59Z");

        Assert.Equal(new DateTimeOffset(2021, 10, 27, 0, 0, 0, TimeSpan.Zero), filter.From);
        Assert.Equal(new DateTimeOffset(2021, 10, 27, 23, 59, 59, TimeSpan.Zero), filter.Until);
        Assert.False(filter.UntilExclusive);
    }

    [Fact]
    public void From_and_until_accept_fractional_seconds_and_a_zero_offset()
    {
        var filter = Filter("until:2021-10-27T11:59:29.500+00:00,from:2021-10-27T11:59:29.250Z");

        Assert.Equal(new DateTimeOffset(2021, 10, 27, 11, 59, 29, 250, TimeSpan.Zero), filter.From);
        Assert.Equal(new DateTimeOffset(2021, 10, 27, 11, 59, 29, 500, TimeSpan.Zero), filter.Until);
    }

    [Fact]
    public void From_equal_to_until_is_one_instant()
    {
        var filter = Filter("from:2021-10-27T11:59:29Z,until:2021-10-27T11:59:29Z");

        Assert.Equal(filter.From, filter.Until);
    }

    [Fact]
    public void From_and_until_may_span_at_most_the_given_limit()
    {
        var limit = TimeSpan.FromDays(30);
        Assert.NotNull(EventQueryParser.Parse("from:2021-10-01T00:00:00Z,until:2021-10-31T00:00:00Z", null, null, null, limit).Query);

        var result = EventQueryParser.Parse("from:2021-10-01T00:00:00Z,until:2021-10-31T00:00:01Z", null, null, null, limit);

        var error = Assert.Single(result.Errors);
        Assert.Equal(QueryErrorKind.Filter, error.Kind);
        Assert.Contains("30 days", error.Message);
        Assert.NotNull(EventQueryParser.Parse("from:2001-01-01T00:00:00Z,until:2021-10-31T00:00:00Z", null, null, null).Query);
    }

    [Fact]
    public void From_without_until_is_an_error()
    {
        var error = FilterError("from:2021-10-27T11:59:29Z");

        Assert.Contains("'from'", error.Message);
        Assert.Contains("'until'", error.Message);
    }

    [Fact]
    public void Until_without_from_is_an_error()
    {
        var error = FilterError("until:2021-10-27T11:59:29Z,type:1");

        Assert.Contains("'until'", error.Message);
        Assert.Contains("'from'", error.Message);
    }

    [Fact]
    public void From_after_until_is_an_error_showing_both()
    {
        var error = FilterError("from:2021-10-28T00:00:00Z,until:2021-10-27T00:00:00Z");

        Assert.Contains("2021-10-28T00:00:00.000Z", error.Message);
        Assert.Contains("2021-10-27T00:00:00.000Z", error.Message);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2021-10-27")]
    [InlineData("2021-02-30T00:00:00Z")]
    [InlineData("2021-10-27T25:00:00Z")]
    [InlineData("1635335969")]
    public void A_from_that_is_not_a_date_time_is_an_error_naming_it(string value)
    {
        var error = FilterError($"from:{value},until:2021-10-27T11:59:29Z");

        Assert.Contains("'from'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    // timestamp

    [Fact]
    public void A_timestamp_selects_its_whole_utc_day()
    {
        var filter = Filter("timestamp:2021-10-27T11:59:29Z");

        Assert.Equal(new DateTimeOffset(2021, 10, 27, 0, 0, 0, TimeSpan.Zero), filter.From);
        Assert.Equal(new DateTimeOffset(2021, 10, 28, 0, 0, 0, TimeSpan.Zero), filter.Until);
        Assert.True(filter.UntilExclusive);
    }

    [Fact]
    public void A_timestamp_may_be_a_bare_date()
    {
        var filter = Filter("timestamp:2024-02-29");

        Assert.Equal(new DateTimeOffset(2024, 2, 29, 0, 0, 0, TimeSpan.Zero), filter.From);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), filter.Until);
        Assert.True(filter.UntilExclusive);
    }

    [Fact]
    public void A_timestamp_with_an_offset_selects_the_utc_day_it_falls_in()
    {
        var filter = Filter("timestamp:2021-10-28T01:00:00+02:00");

        Assert.Equal(new DateTimeOffset(2021, 10, 27, 0, 0, 0, TimeSpan.Zero), filter.From);
    }

    [Theory]
    [InlineData("from:2021-10-27T00:00:00Z,until:2021-10-28T00:00:00Z,timestamp:2021-10-27")]
    [InlineData("timestamp:2021-10-27,from:2021-10-27T00:00:00Z")]
    [InlineData("until:2021-10-27T00:00:00Z,timestamp:2021-10-27")]
    public void A_timestamp_cannot_be_combined_with_from_or_until(string q)
    {
        Assert.Contains("'timestamp'", FilterError(q).Message);
    }

    [Theory]
    [InlineData("2021-02-29")]
    [InlineData("2021-10-27T")]
    [InlineData("2021-1-27")]
    [InlineData("27.10.2021")]
    [InlineData("0000-01-01")]
    public void An_invalid_timestamp_is_an_error_naming_it(string value)
    {
        var error = FilterError("timestamp:" + value);

        Assert.Contains("'timestamp'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void The_last_representable_day_is_an_error_not_an_overflow()
    {
        Assert.Contains("'timestamp'", FilterError("timestamp:9999-12-31").Message);
    }

    // pairs and fields

    [Fact]
    public void An_unknown_field_is_an_error_naming_it_and_its_pair()
    {
        Assert.Equal("unknown field 'colour' in 'colour:red'", FilterError("colour:red").Message);
    }

    [Theory]
    [InlineData("Type:1", "Type")]
    [InlineData("TYPE:1", "TYPE")]
    [InlineData("ipaddress:1.2.3.4", "ipaddress")]
    [InlineData("sim:1", "sim")]
    public void Field_names_are_lowercase_as_documented(string q, string field)
    {
        Assert.Contains($"unknown field '{field}'", FilterError(q).Message);
    }

    [Fact]
    public void A_pair_without_a_colon_is_an_error_naming_it()
    {
        Assert.Contains("'alert'", FilterError("type:1,alert").Message);
    }

    [Theory]
    [InlineData("type:")]
    [InlineData("type:   ")]
    public void A_pair_with_an_empty_value_is_an_error_naming_it(string q)
    {
        var error = FilterError(q);

        Assert.Contains("empty value", error.Message);
        Assert.Contains("'type:'", error.Message);
    }

    [Fact]
    public void A_pair_without_a_field_name_is_an_error()
    {
        Assert.Contains("':1'", FilterError(":1").Message);
    }

    [Theory]
    [InlineData("type:1,,alert:true", "position 2")]
    [InlineData("type:1,", "position 2")]
    [InlineData(",type:1", "position 1")]
    [InlineData("type:1, ,alert:true", "position 2")]
    public void An_empty_pair_is_an_error_naming_its_position(string q, string position)
    {
        Assert.Contains(position, FilterError(q).Message);
    }

    [Theory]
    [InlineData("type:1,type:2")]
    [InlineData("type:1,alert:true,type:1")]
    public void The_same_field_twice_is_an_error(string q)
    {
        var error = FilterError(q);

        Assert.Contains("'type'", error.Message);
        Assert.Contains("more than once", error.Message);
    }

    [Fact]
    public void Whitespace_around_pairs_fields_and_values_is_ignored()
    {
        var filter = Filter("  type : 1 | 3 ,  alert :true , organisation:  Acme Fleet  ");

        Assert.Equal([1, 3], filter.Types);
        Assert.True(filter.Alert);
        Assert.Equal("Acme Fleet", filter.OrganisationName);
    }

    [Fact]
    public void Only_the_first_colon_splits_a_pair()
    {
        var filter = Filter("description:quota: 80% used");

        Assert.Equal("quota: 80% used", filter.Description);
    }

    [Fact]
    public void Every_field_combines_into_one_filter()
    {
        const string iccid = "8988303000000012345";
        var filter = Filter(
            "type:1|3,source:0,severity:2,alert:1,description:quota,organisation:Acme Fleet,user:Dana Ops," +
            "endpoint:truck-017,tags:fleet,ip_address:100.64.12.7,imei:356938035643809,imsi:901430000012345," +
            $"iccid:8988303,iccid_with_luhn:{iccid}{LuhnDigit(iccid)},from:2021-10-27T00:00:00Z,until:2021-10-28T00:00:00Z," +
            "network:Telekom,rat:6,country:Germany");

        Assert.Equal(
            new EventFilter
            {
                Types = filter.Types,
                Source = EventSource.Network,
                Severity = EventSeverity.Critical,
                Alert = true,
                Description = "quota",
                OrganisationName = "Acme Fleet",
                UserName = "Dana Ops",
                EndpointNames = filter.EndpointNames,
                Tags = "fleet",
                IpAddress = "100.64.12.7",
                Imei = "356938035643809",
                Imsi = "901430000012345",
                Iccids = filter.Iccids,
                From = new DateTimeOffset(2021, 10, 27, 0, 0, 0, TimeSpan.Zero),
                Until = new DateTimeOffset(2021, 10, 28, 0, 0, 0, TimeSpan.Zero),
                UntilExclusive = false,
                Networks = filter.Networks,
                RatTypes = filter.RatTypes,
                Countries = filter.Countries,
            },
            filter);
        Assert.Equal([1, 3], filter.Types);
        Assert.Equal(["truck-017"], filter.EndpointNames);
        Assert.Equal([new IccidCondition("8988303", true), new IccidCondition(iccid, false)], filter.Iccids);
        Assert.Equal(["Telekom"], filter.Networks);
        Assert.Equal([6], filter.RatTypes);
        Assert.Equal(["Germany"], filter.Countries);
    }

    [Fact]
    public void Conditions_not_given_stay_empty()
    {
        var filter = Filter("alert:true");

        Assert.Empty(filter.Types);
        Assert.Empty(filter.EndpointNames);
        Assert.Empty(filter.Iccids);
        Assert.Empty(filter.Networks);
        Assert.Empty(filter.RatTypes);
        Assert.Empty(filter.Countries);
        Assert.Null(filter.Source);
        Assert.Null(filter.Description);
        Assert.Null(filter.IpAddress);
        Assert.Null(filter.From);
        Assert.Null(filter.Until);
        Assert.False(filter.UntilExclusive);
    }

    [Fact]
    public void Every_error_in_q_is_reported()
    {
        var errors = Errors("colour:red,type:x,alert,severity:9,type:1");

        Assert.Equal(5, errors.Count);
        Assert.All(errors, e => Assert.Equal(QueryErrorKind.Filter, e.Kind));
        Assert.All(errors, e => Assert.Equal("q", e.Parameter));
        Assert.Contains(errors, e => e.Message.Contains("'colour'"));
        Assert.Contains(errors, e => e.Message.Contains("'x'"));
        Assert.Contains(errors, e => e.Message.Contains("'alert'"));
        Assert.Contains(errors, e => e.Message.Contains("'9'"));
        Assert.Contains(errors, e => e.Message.Contains("more than once"));
    }

    [Fact]
    public void A_q_of_2000_characters_is_accepted()
    {
        var q = "alert:true," + new string(' ', 2000 - "alert:true,".Length - "type:1".Length) + "type:1";
        Assert.Equal(2000, q.Length);

        Assert.True(Filter(q).Alert);
    }

    [Fact]
    public void A_q_over_2000_characters_is_one_error()
    {
        var q = string.Join(',', Enumerable.Repeat("colour:red", 200));

        Assert.Contains("2000", FilterError(q).Message);
    }

    [Fact]
    public void A_long_bad_part_is_shortened_in_the_message()
    {
        var error = FilterError(new string('z', 150) + ":1");

        Assert.Contains("...", error.Message);
        Assert.True(error.Message.Length < 200, error.Message);
    }

    [Fact]
    public void Control_characters_in_a_bad_part_are_escaped_in_the_message()
    {
        var error = FilterError("col\nour:red");

        Assert.DoesNotContain("\n", error.Message);
        Assert.Contains("\\u000a", error.Message);
    }

    // sort

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_sort_means_id_ascending(string? sort)
    {
        var query = Valid(sort: sort);

        Assert.Equal([new SortKey(SortField.Id, false)], query.Sort);
        Assert.Equal("id", query.SortText);
    }

    [Fact]
    public void A_minus_sorts_descending()
    {
        var query = Valid(sort: "-timestamp");

        Assert.Equal([new SortKey(SortField.Timestamp, true)], query.Sort);
        Assert.Equal("-timestamp", query.SortText);
    }

    [Fact]
    public void Several_sort_fields_apply_in_order()
    {
        var query = Valid(sort: "-timestamp,id");

        Assert.Equal([new SortKey(SortField.Timestamp, true), new SortKey(SortField.Id, false)], query.Sort);
        Assert.Equal("-timestamp,id", query.SortText);
    }

    [Fact]
    public void The_sort_text_is_canonical()
    {
        Assert.Equal("severity,-ip_address,iccid", Valid(sort: " severity , -ip_address,iccid ").SortText);
    }

    [Theory]
    [InlineData("id", SortField.Id)]
    [InlineData("timestamp", SortField.Timestamp)]
    [InlineData("source", SortField.Source)]
    [InlineData("severity", SortField.Severity)]
    [InlineData("alert", SortField.Alert)]
    [InlineData("organisation", SortField.Organisation)]
    [InlineData("user", SortField.User)]
    [InlineData("endpoint", SortField.Endpoint)]
    [InlineData("tags", SortField.Tags)]
    [InlineData("ip_address", SortField.IpAddress)]
    [InlineData("iccid", SortField.Iccid)]
    [InlineData("imsi", SortField.Imsi)]
    [InlineData("type", SortField.Type)]
    public void Every_documented_sort_field_is_known_both_ways(string name, SortField field)
    {
        Assert.Equal([new SortKey(field, false)], Valid(sort: name).Sort);
        Assert.Equal([new SortKey(field, true)], Valid(sort: "-" + name).Sort);
        Assert.Equal("-" + name, Valid(sort: "-" + name).SortText);
    }

    [Fact]
    public void All_thirteen_sort_fields_together_are_accepted()
    {
        const string all = "id,-timestamp,source,-severity,alert,-organisation,user,-endpoint,tags,-ip_address,iccid,-imsi,type";

        Assert.Equal(all, Valid(sort: all).SortText);
    }

    [Theory]
    [InlineData("colour", "colour")]
    [InlineData("-colour", "colour")]
    [InlineData("ID", "ID")]
    [InlineData("id,description", "description")]
    [InlineData("--id", "-id")]
    [InlineData("+id", "+id")]
    public void An_unknown_sort_field_is_an_error_naming_it(string sort, string name)
    {
        Assert.Contains($"unknown sort field '{name}'", SortError(sort).Message);
    }

    [Theory]
    [InlineData("id,id")]
    [InlineData("id,-id")]
    [InlineData("-id,timestamp,id")]
    public void The_same_sort_field_twice_is_an_error(string sort)
    {
        var error = SortError(sort);

        Assert.Contains("'id'", error.Message);
        Assert.Contains("more than once", error.Message);
    }

    [Theory]
    [InlineData("id,,type", "position 2")]
    [InlineData("id,", "position 2")]
    [InlineData(",id", "position 1")]
    [InlineData("id,-", "position 2")]
    public void An_empty_sort_item_is_an_error_naming_its_position(string sort, string position)
    {
        Assert.Contains(position, SortError(sort).Message);
    }

    [Fact]
    public void Every_error_in_sort_is_reported()
    {
        var errors = Errors(sort: "colour,,id,id");

        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal(QueryErrorKind.Sort, e.Kind));
    }

    [Fact]
    public void An_overlong_sort_is_one_error()
    {
        Assert.Contains("500", SortError(string.Join(',', Enumerable.Repeat("x", 1000))).Message);
    }

    // paging

    [Theory]
    [InlineData(null, 1)]
    [InlineData("", 1)]
    [InlineData(" ", 1)]
    [InlineData("1", 1)]
    [InlineData("3", 3)]
    [InlineData(" 7 ", 7)]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("0", 1)]
    [InlineData("-5", 1)]
    [InlineData("-2147483648", 1)]
    public void A_page_below_1_or_missing_is_the_first(string? page, int expected)
    {
        Assert.Equal(expected, Valid(page: page).Page);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("1e2")]
    [InlineData("0x10")]
    [InlineData("1 0")]
    public void A_page_that_is_not_an_integer_is_an_error_naming_it(string page)
    {
        var error = Assert.Single(Errors(page: page));

        Assert.Equal(QueryErrorKind.Paging, error.Kind);
        Assert.Equal("page", error.Parameter);
        Assert.Contains($"'{page}'", error.Message);
    }

    [Theory]
    [InlineData(null, 100)]
    [InlineData("", 100)]
    [InlineData("1", 1)]
    [InlineData("50", 50)]
    [InlineData("0", 100)]
    [InlineData("-1", 100)]
    [InlineData("1000", 1000)]
    [InlineData("1001", 1000)]
    [InlineData("2147483647", 1000)]
    public void A_page_size_defaults_to_100_and_is_clamped_to_1000(string? perPage, int expected)
    {
        Assert.Equal(expected, Valid(perPage: perPage).PerPage);
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("99999999999")]
    [InlineData("10.0")]
    public void A_page_size_that_is_not_an_integer_is_an_error_naming_it(string perPage)
    {
        var error = Assert.Single(Errors(perPage: perPage));

        Assert.Equal(QueryErrorKind.Paging, error.Kind);
        Assert.Equal("per_page", error.Parameter);
        Assert.Contains($"'{perPage}'", error.Message);
    }

    // all together

    [Fact]
    public void A_full_valid_request_carries_every_part()
    {
        var query = Valid("type:1, alert:true", "-timestamp,id", "2", "50");

        Assert.Equal([1], query.Filter.Types);
        Assert.True(query.Filter.Alert);
        Assert.Equal("-timestamp,id", query.SortText);
        Assert.Equal(2, query.Page);
        Assert.Equal(50, query.PerPage);
        Assert.Equal("type:1, alert:true", query.FilterText);
    }

    [Fact]
    public void Errors_from_every_parameter_are_reported_together()
    {
        var errors = Errors("colour:red", "colour", "first", "many");

        Assert.Equal(
            [(QueryErrorKind.Filter, "q"), (QueryErrorKind.Sort, "sort"), (QueryErrorKind.Paging, "page"), (QueryErrorKind.Paging, "per_page")],
            errors.Select(e => (e.Kind, e.Parameter)).ToArray());
    }

    [Fact]
    public void One_bad_parameter_voids_the_whole_query()
    {
        var result = EventQueryParser.Parse("type:1", "id", "1", "x");

        Assert.False(result.IsValid);
        Assert.Null(result.Query);
    }

    // never throws

    private static readonly string[] Fragments =
    [
        "type", "source", "severity", "alert", "description", "organisation", "user", "endpoint", "tags", "ip_address",
        "imei", "imsi", "iccid", "iccid_with_luhn", "timestamp", "from", "until", "network", "rat", "country", "id", "colour",
        ":", ":", ",", ",", "|", "|", "-", " ", "  ", "1", "0", "255", "256", "true", "2021-10-27", "T11:59:29", "Z", "+00:00",
        "9999-12-31", "0001-01-01T00:00:00Z", "2147483648", "-2147483649", "89883030000000123456", "8988303", "::1", "1.2.3.4",
        "[", "]", "%", "\0", "\uD800", "\uDC00", "\U0001F69A", "\n", "\t", "é", "٣", "\u00A0", "\u2028", "'", "\"", "\\",
        "NaN", "∞", "e", ".", "%00", "%2C",
    ];

    private static string RandomText(Random random)
    {
        var builder = new System.Text.StringBuilder();
        var parts = random.Next(0, 24);
        for (var i = 0; i < parts; i++)
        {
            if (random.Next(4) == 0)
            {
                builder.Append((char)random.Next(0, 0x10000));
            }
            else
            {
                builder.Append(Fragments[random.Next(Fragments.Length)]);
            }
        }

        return builder.ToString();
    }

    [Fact]
    public void No_input_makes_the_parser_throw()
    {
        var random = new Random(20240601);
        var valid = 0;
        for (var i = 0; i < 600; i++)
        {
            var q = random.Next(8) == 0 ? null : RandomText(random);
            var sort = random.Next(3) == 0 ? null : RandomText(random);
            var page = random.Next(2) == 0 ? null : RandomText(random);
            var perPage = random.Next(2) == 0 ? null : RandomText(random);

            var result = EventQueryParser.Parse(q, sort, page, perPage);

            Assert.Equal(result.Query is not null, result.IsValid);
            Assert.Equal(result.IsValid, result.Errors.Count == 0);
            Assert.All(result.Errors, e => Assert.Equal(
                e.Kind switch { QueryErrorKind.Filter => "q", QueryErrorKind.Sort => "sort", _ => e.Parameter is "page" or "per_page" ? e.Parameter : "?" },
                e.Parameter));
            Assert.All(result.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
            valid += result.IsValid ? 1 : 0;
        }

        Assert.InRange(valid, 1, 599);
    }

    [Fact]
    public void Random_well_formed_pairs_never_make_the_parser_throw()
    {
        var random = new Random(7);
        string[] fields = ["type", "source", "severity", "alert", "description", "organisation", "user", "endpoint", "tags", "ip_address",
            "imei", "imsi", "iccid", "iccid_with_luhn", "timestamp", "from", "until", "network", "rat", "country"];
        for (var i = 0; i < 400; i++)
        {
            var pairs = Enumerable.Range(0, random.Next(1, 6))
                .Select(_ => fields[random.Next(fields.Length)] + ":" + string.Join('|', Enumerable.Range(0, random.Next(1, 8)).Select(_ => RandomText(random))));

            var result = EventQueryParser.Parse(string.Join(',', pairs), null, null, null);

            Assert.Equal(result.IsValid, result.Errors.Count == 0);
        }
    }

    [Fact]
    public void Huge_parameters_are_errors_not_exceptions()
    {
        var huge = new string('9', 1_000_000);

        var errors = Errors(huge, huge, huge, huge);

        Assert.Equal(4, errors.Count);
    }
}
