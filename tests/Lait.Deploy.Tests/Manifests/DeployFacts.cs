namespace Lait.Deploy.Tests.Manifests;

/// <summary>Names every deploy file must agree on.</summary>
public static class DeployFacts
{
    public const string ImageRepository = "laitgrpc";

    public static string Repository(string image)
    {
        int colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }
}
