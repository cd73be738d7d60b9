using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace EventService.Api.Auth;

public static class AuthExtensions
{
    public static WebApplicationBuilder AddCredentials(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddAuthentication(CredentialAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CredentialAuthenticationHandler>(CredentialAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireClaim(CredentialClaims.Kind, Policies.Admin))
            .AddPolicy(Policies.Producer, p => p.RequireClaim(CredentialClaims.Kind, Policies.Producer))
            .AddPolicy(Policies.Reader, p => p.RequireClaim(CredentialClaims.Kind, Policies.Admin))
            // An endpoint without a rule of its own still needs a credential.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    public static WebApplication UseCredentials(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AdminOptions>>().Value.ApiKey))
        {
            app.Logger.LogWarning("Admin:ApiKey is not set: the admin API answers 401 to everyone");
        }

        return app;
    }
}
