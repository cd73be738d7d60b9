using System.Globalization;
using System.Text;
using EventService.Api.Storage.Events;
using EventService.Domain.Queries;

namespace EventService.Api.Query;

/// <summary>emnify's paging headers: <c>Link</c> and the <c>X-*</c> counts, which its SDK pages by.</summary>
public static class PagingHeaders
{
    public static readonly string[] Exposed =
        ["Link", "X-Count-Per-Page", "X-Current-Page", "X-Total-Count", "X-Total-Pages", "X-Filter", "X-Sort"];

    public static void Write(HttpRequest request, HttpResponse response, EventQuery query, EventPage page)
    {
        var headers = response.Headers;
        headers["X-Count-Per-Page"] = page.PerPage.ToString(CultureInfo.InvariantCulture);
        headers["X-Current-Page"] = page.Page.ToString(CultureInfo.InvariantCulture);
        headers["X-Total-Count"] = page.Total.ToString(CultureInfo.InvariantCulture);
        headers["X-Total-Pages"] = page.Pages.ToString(CultureInfo.InvariantCulture);
        headers["X-Filter"] = HeaderSafe(query.FilterText);
        headers["X-Sort"] = query.SortText;

        var links = new List<string> { Link(request, query, page, 1, "first") };
        if (page.Page > 1)
        {
            links.Add(Link(request, query, page, page.Page - 1, "prev"));
        }

        if (page.Page < page.Pages)
        {
            links.Add(Link(request, query, page, page.Page + 1, "next"));
        }

        links.Add(Link(request, query, page, page.Pages, "last"));
        headers.Link = string.Join(", ", links);
    }

    private static string Link(HttpRequest request, EventQuery query, EventPage page, long target, string rel)
    {
        var url = new StringBuilder(request.PathBase).Append(request.Path)
            .Append("?page=").Append(target.ToString(CultureInfo.InvariantCulture))
            .Append("&per_page=").Append(page.PerPage.ToString(CultureInfo.InvariantCulture));
        if (query.FilterText.Length > 0)
        {
            url.Append("&q=").Append(Uri.EscapeDataString(query.FilterText));
        }

        url.Append("&sort=").Append(Uri.EscapeDataString(query.SortText));
        return $"<{url}>; rel=\"{rel}\"";
    }

    // Header values must be printable ASCII; a filter with other characters travels percent-encoded.
    private static string HeaderSafe(string text) =>
        text.All(c => c is >= ' ' and <= '~') ? text : Uri.EscapeDataString(text);
}
